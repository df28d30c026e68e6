import { SearchX } from "lucide-react";
import Link from "next/link";

export const metadata = { title: "Not found" };

/**
 * A dashboard page whose subject does not exist (an unknown or malformed instance id: the page
 * calls notFound()), shown inside the dashboard's header and navigation so the way back is in reach.
 */
export default function DashboardNotFound() {
  return (
    <section className="mx-auto max-w-md py-16 text-center" aria-labelledby="not-found-title">
      <SearchX className="mx-auto size-10 text-slate-400" aria-hidden />
      <h1 id="not-found-title" className="mt-4 text-xl font-semibold">
        Not found
      </h1>
      <p className="mt-2 text-sm text-slate-600">Nothing here by that id. The link may be mistyped or out of date; the instance list has everything that exists.</p>
      <Link href="/instances" className="mt-6 inline-flex h-9 items-center rounded-md bg-indigo-600 px-4 text-sm font-medium text-white hover:bg-indigo-700">
        Back to Instances
      </Link>
    </section>
  );
}
