import type { Metadata } from "next";
import Link from "next/link";
import { StatusBadge } from "@/components/status-badge";
import { GateBadge, ReviewPointBadge } from "@/components/step-badges";
import { WorkflowGraph } from "@/components/workflow-graph";
import { getDb } from "@/db/client";
import { instanceStatuses } from "@/db/schema";
import { findWorkflow } from "@/workflows/catalog";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { listDefinitions } from "@/lib/workflows/queries";
import { formatCount, WORKFLOW_COUNT_CAP } from "@/lib/instances/limits";
import { workflowPausesOf } from "@/lib/workflows/workflow-pauses";
import { describePolicy, effectiveOf, startPolicyOverrides } from "@/lib/workflows/start-policy";
import { windowIdOf } from "@/lib/actors";
import { StartPolicyForm } from "./start-policy-form";
import { RelativeTime } from "@/components/relative-time";
import { WorkflowPauseControls } from "./workflow-pause-controls";
import { StartForm } from "./start-form";

export const metadata: Metadata = { title: "Workflows" };

export default async function WorkflowsPage() {
  const user = await requirePage("instances:read");
  const db = getDb();
  const definitions = await listDefinitions(db);
  const keys = [...new Set(definitions.map((d) => d.key))];
  const [{ pauses, log }, overrides] = await Promise.all([workflowPausesOf(db, keys), startPolicyOverrides(db, keys)]);
  const mayStart = can(user, "instances:start");
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Workflows</h1>
        <p className="text-sm text-slate-600">Definitions the workers run, each version registered once and never changed under running instances.</p>
        <p className="text-sm">
          <Link href="/workflows/windows" className="text-indigo-700 underline">
            Maintenance windows
          </Link>{" "}
          <span className="text-slate-600">pause workflows at planned times, once or recurring.</span>
        </p>
      </div>
      {definitions.map((def) => {
        const code = findWorkflow(def.key, def.version);
        const pause = pauses.get(def.key);
        const pauseLog = log.filter((e) => e.workflowKey === def.key);
        const policy = effectiveOf(overrides.get(def.key), code?.whenPaused);
        const byWindow = pause ? windowIdOf(pause.heldByLabel) : null;
        return (
          <article key={def.id} aria-labelledby={`wf-${def.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <header className="flex flex-wrap items-baseline gap-2">
              <h2 id={`wf-${def.id}`} className="font-semibold">
                {def.name}
              </h2>
              <code className="font-mono text-xs text-slate-500">
                {def.key} v{def.version}
              </code>
              <div className="ml-auto flex flex-wrap items-center gap-1.5">
                {instanceStatuses
                  .filter((s) => def.counts[s])
                  .map((s) => (
                    <Link key={s} href={`/instances?status=${s === "running" || s === "paused" || s === "waiting" || s === "pending" ? s : "all"}&workflow=${def.key}`} className="inline-flex items-center gap-1 text-xs">
                      <StatusBadge status={s} /> {formatCount(def.counts[s] ?? 0, WORKFLOW_COUNT_CAP)}
                    </Link>
                  ))}
                <WorkflowPauseControls workflow={def.key} name={def.name} paused={!!pause} canPause={can(user, "workflows:pause")} canResume={can(user, "workflows:resume")} />
              </div>
            </header>
            {pause && (
              <p role="status" className="mt-2 rounded-md border border-amber-200 bg-amber-50 p-2 text-sm text-amber-900">
                <span className="font-medium">Paused</span> by {byWindow ? <Link href="/workflows/windows" className="underline">a maintenance window</Link> : pause.heldByLabel} <RelativeTime value={pause.heldAt} />: {pause.reason}.{" "}
                {policy.policy === "queue" ? "New starts are queued and run, in order, when it resumes." : "New starts are refused."}
              </p>
            )}
            <p className="mt-1 text-xs text-slate-600">
              Starts while paused: <span className="font-medium">{describePolicy(policy)}</span> ({policy.source === "operator" ? `set by ${policy.setByLabel}` : "the workflow's default"})
            </p>
            {def.description && <p className="mt-1 text-sm text-slate-600">{def.description}</p>}
            <WorkflowGraph
              className="mt-3 h-44"
              label={`Graph of the steps of ${def.name}: ${def.steps.map((st) => `${st.name}${st.dependsOn.length ? ` after ${st.dependsOn.join(" and ")}` : ""}${st.gate ? `, behind the approval gate ${st.gate.stage}` : ""}`).join("; ")}. The numbered list below lists the same steps.`}
              steps={def.steps.map((st) => ({ key: st.key, name: st.name, dependsOn: st.dependsOn, gate: st.gate?.stage ?? null, pauseBefore: st.pauseBefore ?? false }))}
            />
            <div className="mt-3 grid gap-4 md:grid-cols-2">
              <ol className="space-y-1 text-sm" aria-label={`Steps of ${def.name}`}>
                {def.steps.map((step, i) => (
                  <li key={step.key} className="flex flex-wrap items-center gap-1.5">
                    <span className="w-5 text-right text-slate-500">{i + 1}.</span>
                    <span className="font-medium">{step.name}</span>
                    {step.dependsOn.length > 0 && <span className="text-xs text-slate-500">after {step.dependsOn.join(", ")}</span>}
                    {step.gate && <GateBadge gate={step.gate} />}
                    {step.pauseBefore && <ReviewPointBadge />}
                  </li>
                ))}
              </ol>
              {mayStart && code && (
                <section aria-label={`Start ${def.name}`} className="rounded-md bg-slate-50 p-3">
                  <h3 className="mb-2 text-sm font-medium">Start an instance</h3>
                  {pause && policy.policy === "refuse" ? (
                    <p className="text-sm text-slate-700">Starting is paused while the workflow is paused.</p>
                  ) : (
                    <>
                      {pause && <p className="mb-2 text-sm text-slate-700">The workflow is paused: a start is queued until it resumes.</p>}
                      <StartForm workflow={def.key} schema={code.inputJsonSchema} />
                    </>
                  )}
                </section>
              )}
            </div>
            {can(user, "workflows:policy") && def === definitions.find((d) => d.key === def.key) && (
              <div className="mt-3 border-t border-slate-100 pt-3">
                <StartPolicyForm workflow={def.key} name={def.name} policy={policy.policy} queueTtlSeconds={policy.queueTtlSeconds} />
              </div>
            )}
            {pauseLog.length > 0 && (
              <details className="mt-3 text-sm">
                <summary className="cursor-pointer text-slate-600">Pause history</summary>
                <ul className="mt-1 space-y-0.5" aria-label={`Pause history of ${def.name}`}>
                  {pauseLog.map((e) => (
                    <li key={e.id}>
                      <RelativeTime value={e.createdAt} /> · {e.action === "held" ? "Paused" : e.action === "released" ? "Resumed" : "Policy changed"} by {e.actorLabel}
                      {e.reason && <>: {e.reason}</>}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </article>
        );
      })}
    </div>
  );
}
