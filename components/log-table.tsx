import Link from "next/link";
import type { ReactNode } from "react";

/** The audit pages' table: a caption for screen readers, column headings, rows, and what to say when there are none. */
export function LogTable({ caption, columns, empty, children }: { caption: string; columns: string[]; empty: ReactNode | null; children: ReactNode }) {
  // relative: screen-reader-only labels inside are positioned absolutely; without it they escape this scroller and widen the page.
  return (
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            {columns.map((h) => (
              <th key={h} scope="col" className="px-3 py-2 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
      {empty && <p className="p-6 text-center text-sm text-slate-500">{empty}</p>}
    </div>
  );
}

/** The heading of a log beside the instance history: the way back, the title, what it records. */
export function LogHeading({ title, exportHref, children }: { title: string; exportHref: string; children: ReactNode }) {
  return (
    <div className="flex flex-wrap items-end justify-between gap-3">
      <div>
        <Link href="/history" className="text-sm text-indigo-700 hover:underline">
          ← Instance history
        </Link>
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        <p className="text-sm text-slate-600">{children} Newest first; entries cannot be changed or deleted.</p>
      </div>
      {/* A plain download: the API answers with the whole log as CSV, formula-safe like the history export. */}
      <a href={exportHref} download className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50">
        Export CSV
      </a>
    </div>
  );
}
