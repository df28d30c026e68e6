import type { Metadata } from "next";
import Link from "next/link";
import { LogHeading, LogTable } from "@/components/log-table";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { workflowPauseLog } from "@/lib/workflows/workflow-pauses";

export const metadata: Metadata = { title: "Workflow pauses" };

export default async function WorkflowPausesPage() {
  await requirePage("history:read");
  const entries = await workflowPauseLog(getDb());
  return (
    <div className="space-y-4">
      <LogHeading exportHref="/api/v1/workflow-pauses?format=csv" title="Workflow pauses">Who paused or resumed a whole workflow (so that no new instance of it started), when and why.</LogHeading>
      <LogTable caption="Workflow pauses" columns={["When", "Action", "Workflow", "By", "Reason"]} empty={entries.length ? null : "No workflow has been paused yet."}>
        {entries.map((e) => (
          <tr key={e.id} className="align-top">
            <td className="px-3 py-2"><RelativeTime value={e.createdAt} /></td>
            <td className="px-3 py-2 font-medium">{e.action === "held" ? "Paused" : e.action === "released" ? "Resumed" : "Policy changed"}</td>
            <td className="px-3 py-2">
              <Link href={`/instances?status=all&workflow=${encodeURIComponent(e.workflowKey)}`} className="text-indigo-700 hover:underline">
                {e.workflowKey}
              </Link>
            </td>
            <td className="px-3 py-2">{e.actorLabel}</td>
            <td className="max-w-md break-words px-3 py-2 text-slate-800">{e.reason}</td>
          </tr>
        ))}
      </LogTable>
    </div>
  );
}
