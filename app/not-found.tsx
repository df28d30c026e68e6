import { SearchX } from "lucide-react";
import Link from "next/link";

export const metadata = { title: "Not found" };

/** Any URL no page answers (outside the dashboard's layout, so it needs no sign-in or database to render). */
export default function NotFound() {
  return (
    <main className="mx-auto max-w-md p-10 text-center" aria-labelledby="not-found-title">
      <SearchX className="mx-auto size-10 text-slate-400" aria-hidden />
      <h1 id="not-found-title" className="mt-4 text-xl font-semibold">
        Page not found
      </h1>
      <p className="mt-2 text-sm text-slate-600">No Flowgate page has this address.</p>
      <Link href="/instances" className="mt-6 inline-flex h-9 items-center rounded-md bg-indigo-600 px-4 text-sm font-medium text-white hover:bg-indigo-700">
        Back to Instances
      </Link>
    </main>
  );
}
