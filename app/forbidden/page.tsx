import Link from "next/link";

export const metadata = { title: "Not allowed" };

export default function Forbidden() {
  return (
    <main className="mx-auto max-w-md p-10 text-center">
      <h1 className="text-xl font-semibold">Your role does not open this page</h1>
      <p className="mt-2 text-sm text-slate-600">Ask an admin for a role that includes it.</p>
      <Link href="/instances" className="mt-4 inline-block text-sm text-indigo-700 underline">
        Back to instances
      </Link>
    </main>
  );
}
