import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AutoRefresh } from "@/components/auto-refresh";
import { LiveScope } from "@/components/live-scope";
import { HistoryTimeline } from "@/components/history-timeline";
import { getDb } from "@/db/client";
import { findWorkflow } from "@/workflows/catalog";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { getInstanceDetail, type InstanceDetail } from "@/lib/instances/queries";
import { InstanceView, type LiveInstance } from "./instance-view";

export const metadata: Metadata = { title: "Instance" };

async function load(id: string): Promise<InstanceDetail> {
  try {
    return await getInstanceDetail(getDb(), id);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
}

export default async function InstancePage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePage("instances:read");
  const { history, historyMore, ...instance } = await load((await params).id);
  const workflow = findWorkflow(instance.workflowKey, instance.workflowVersion);
  // Dates as the API sends them, so the first paint and every live refetch have one shape.
  const initial = JSON.parse(JSON.stringify(instance)) as LiveInstance;

  return (
    <div className="space-y-6">
      {/* Every change to this instance comes with an event, and its steps' starts and finishes with a
          `progress` notification (lib/step-progress.ts): the stream refetches its live parts
          (InstanceView) and refreshes this render (the history), so it polls only while the stream
          is down (issue 15: a running instance's page re-rendered every 3 s). */}
      <AutoRefresh fallback />
      <LiveScope instanceId={instance.id} />
      <InstanceView
        initial={initial}
        may={{ pause: can(user, "instances:pause"), resume: can(user, "instances:resume"), cancel: can(user, "instances:cancel"), retry: can(user, "instances:retry") }}
        mayEscalate={can(user, "instances:pause")}
        mayDecide={can(user, "gates:decide")}
        hasResumeCondition={!!workflow?.resumeCondition}
      />

      <section aria-labelledby="history-heading" className="space-y-3">
        <h2 id="history-heading" className="font-semibold">
          History
        </h2>
        <HistoryTimeline rows={history} />
        {historyMore && (
          <p className="text-sm text-slate-600">
            The newest {history.length} entries.{" "}
            <Link href={`/history?instanceId=${instance.id}`} className="text-indigo-700 underline">
              Older entries in the audit trail
            </Link>
          </p>
        )}
      </section>
    </div>
  );
}
