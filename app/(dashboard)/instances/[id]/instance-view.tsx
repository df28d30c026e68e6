"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { CopyId } from "@/components/copy-id";
import { GatePipeline } from "@/components/gate-pipeline";
import { instanceQueryKey } from "@/components/live-updates";
import { useFallbackPoll } from "@/components/live-status";
import { ReasonTags } from "@/components/reason-tags";
import { RelativeTime } from "@/components/relative-time";
import { StatusBadge } from "@/components/status-badge";
import { WorkflowGraph } from "@/components/workflow-graph";
import { windowIdOf } from "@/lib/actors";
import type { InstanceDetail } from "@/lib/instances/queries";
import type { Jsonify } from "@/lib/jsonify";
import { allows, transition } from "@/lib/state-machine";
import { utc } from "@/lib/time";
import { EscalateControl } from "./escalate-control";
import { InstanceControls, type InstanceControlsProps } from "./instance-controls";
import { StepList } from "./step-list";

/** The instance as its page shows it live: GET /api/v1/instances/{id}'s body, less the history (the server render shows that). */
export type LiveInstance = Jsonify<Omit<InstanceDetail, "history" | "historyMore">>;

/** An API error body (lib/api/respond.ts). */
type ApiError = { error: { code: string; message: string } };

/**
 * The instance, from React Query: the server render's copy first (`initial`), then
 * GET /api/v1/instances/{id} each time the live stream says it changed (a `change` event naming it,
 * or a `progress` event for its steps: components/live-updates.tsx). So a pause, a resume or a step
 * shows after one small JSON read, not after the page's whole server render (issue 15). Polls only
 * while the stream is down (FLOWGATE_FALLBACK_POLL_MS).
 */
function useLiveInstance(initial: LiveInstance): LiveInstance {
  const fallbackPoll = useFallbackPoll();
  const query = useQuery({
    queryKey: instanceQueryKey(initial.id),
    queryFn: async ({ signal }): Promise<LiveInstance> => {
      const response = await fetch(`/api/v1/instances/${initial.id}`, { signal });
      // An instance has an `error` field of its own: the status tells an API error apart.
      if (!response.ok) throw new Error(((await response.json()) as ApiError).error.message);
      return (await response.json()) as LiveInstance;
    },
    initialData: initial,
    // Stale at once, so a page reached by a client-side navigation reads itself on mount: an
    // event that came between its server render and this mount found no query to refetch.
    staleTime: 0,
    refetchInterval: fallbackPoll,
  });
  // A failed refetch (deleted, signed out, offline) keeps the last copy; the server render says why.
  return query.data;
}

export type InstanceViewProps = {
  initial: LiveInstance;
  /** The commands the role may use (lib/auth/permissions.ts, decided on the server). */
  may: InstanceControlsProps["may"];
  /** Whether the role may escalate a graceful pause (`instances:pause`). */
  mayEscalate: boolean;
  /** Whether the role may decide gates (`gates:decide`): the gates' link says review rather than see. */
  mayDecide: boolean;
  /** Whether the workflow has a resume condition (workflows/catalog.ts, server-only). */
  hasResumeCondition: boolean;
};

/**
 * The parts of an instance's page that move: its header (status, pause/resume/cancel/retry and
 * what the state machine allows), the pause banner, the error, the steps (graph and table), the
 * details and the gates. Everything is from useLiveInstance, so it moves without a server render;
 * the page's history stays server-rendered and follows with router.refresh.
 */
export function InstanceView({ initial, may, mayEscalate, mayDecide, hasResumeCondition }: InstanceViewProps) {
  const instance = useLiveInstance(initial);
  const paused = instance.status === "paused";
  const refusal = (command: "pause" | "resume" | "cancel" | "retry") => {
    const t = transition(instance.status, command);
    return t.ok ? null : t.message;
  };
  // The latest row that moved the status says who set the current one (found apart from the page of history).
  const lastChange = instance.lastChange;
  // A graceful pause still waiting for running steps may be made immediate (escalatePause's own rule).
  const canEscalate = paused && instance.pauseMode === "graceful" && instance.drainingSteps > 0 && allows(instance.status, "escalate") && mayEscalate;

  return (
    <>
      <div className="flex flex-wrap items-baseline justify-between gap-x-6 gap-y-1 text-sm">
        <nav aria-label="Breadcrumb" className="text-slate-500">
          <Link href="/instances" className="hover:underline">
            Instances
          </Link>{" "}
          / <span className="font-mono">{instance.id.slice(0, 8)}</span>
        </nav>
        <nav aria-label="Related">
          <ul className="flex flex-wrap gap-x-4 gap-y-1">
            <li>
              <Link href={`/workflows#wf-${instance.definitionId}`} className="text-indigo-700 hover:underline">
                Its workflow
              </Link>
            </li>
            <li>
              <Link href={`/approvals?instance=${instance.id}`} className="text-indigo-700 hover:underline">
                Its gates{instance.gates.length > 0 && ` (${instance.gates.length})`}
              </Link>
            </li>
            <li>
              <Link href={`/history?instanceId=${instance.id}`} className="text-indigo-700 hover:underline">
                Its audit trail
              </Link>
            </li>
          </ul>
        </nav>
      </div>

      <div className="flex flex-wrap items-start gap-4">
        <div className="space-y-1">
          <h1 className="flex items-center gap-3 text-xl font-semibold tracking-tight">
            {instance.workflowName} <span className="text-sm font-normal text-slate-500">v{instance.workflowVersion}</span>
            <StatusBadge status={instance.status} draining={instance.drainingSteps} />
          </h1>
          <CopyId id={instance.id} />
        </div>
        <div className="ml-auto">
          <InstanceControls
            instanceId={instance.id}
            status={instance.status}
            lastChange={lastChange ? { id: lastChange.id, action: lastChange.action, actorLabel: lastChange.actorLabel, createdAt: lastChange.createdAt } : null}
            may={may}
            refusals={{ pause: refusal("pause"), resume: refusal("resume"), cancel: refusal("cancel"), retry: refusal("retry") }}
            hasResumeCondition={hasResumeCondition}
            failedSteps={instance.steps.filter((s) => s.status === "failed" || (instance.status === "failed" && s.status === "cancelled")).map((s) => s.name)}
          />
        </div>
      </div>

      {instance.status === "pending" && instance.queuedAt && (
        <section role="status" aria-label="Queued" className="rounded-lg border border-slate-300 bg-slate-50 p-4 text-sm text-slate-800">
          <p className="font-medium">
            Queued <RelativeTime value={instance.queuedAt} />: {instance.workflowKey} was paused when it was started, and its policy queues new starts.
          </p>
          <p className="mt-1">
            It starts, in order, when the workflow is resumed
            {instance.queueExpiresAt ? `; if it is still waiting at ${utc(new Date(instance.queueExpiresAt))}, it is dropped.` : "."}
          </p>
        </section>
      )}
      {paused && (
        <section role="status" aria-label="Pause" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950">
          <p className="font-medium">
            {instance.drainingSteps > 0
              ? `Pausing: waiting for ${instance.drainingSteps} running step${instance.drainingSteps === 1 ? "" : "s"} to finish`
              : "Paused"}
            {" "}by {instance.pausedByLabel}
            {instance.pausedByExplanation && ` (${instance.pausedByExplanation})`} <RelativeTime value={instance.pausedAt} /> ({instance.pauseMode}, {instance.pauseKind})
          </p>
          {instance.pauseReason && <p className="mt-1 whitespace-pre-wrap break-words">“{instance.pauseReason}”</p>}
          <ReasonTags category={instance.pauseCategory} ticketUrl={instance.pauseTicketUrl} />
          {canEscalate && (
            <div className="mt-2 flex flex-wrap items-center gap-3">
              <EscalateControl instanceId={instance.id} running={instance.drainingSteps} />
              <span className="text-amber-900">Stop the running steps now instead of waiting for them.</span>
            </div>
          )}
          <p className="mt-1 text-amber-900">
            {windowIdOf(instance.pausedByLabel)
              ? "Held by a maintenance window: resumes when the window ends (or is ended early), or earlier by an operator."
              : instance.resumeAt
              ? `Resumes automatically at ${utc(new Date(instance.resumeAt))}, or earlier by an operator.`
              : hasResumeCondition
                ? "Resumes when an operator resumes it and the workflow's resume condition passes."
                : "Resumes when an operator resumes it."}
          </p>
        </section>
      )}
      {instance.error && (
        <p role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
          {instance.error}
        </p>
      )}

      {/* min-w-0: a grid item is otherwise as wide as its widest content (the step table, the JSON), wider than a phone. */}
      <div className="grid gap-6 lg:grid-cols-3 [&>*]:min-w-0">
        <section aria-labelledby="steps-heading" className="space-y-3 lg:col-span-2">
          <h2 id="steps-heading" className="font-semibold">
            Steps
          </h2>
          <WorkflowGraph
            className="h-80 sm:h-64"
            label={`Graph of the steps of ${instance.workflowName} and their status: ${instance.steps.map((s) => `${s.name} ${s.status.replace("_", " ")}`).join(", ")}. The table below lists the same steps.`}
            steps={instance.steps.map((s) => ({ key: s.key, name: s.name, dependsOn: s.dependsOn, gate: s.gate?.stage ?? null, pauseBefore: s.pauseBefore, status: s.status }))}
          />
          <div className="relative overflow-x-auto">
            <StepList steps={instance.steps} />
          </div>
        </section>
        <section aria-labelledby="details-heading" className="space-y-3">
          <h2 id="details-heading" className="font-semibold">
            Details
          </h2>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <dt className="text-slate-500">Started by</dt>
            <dd>{instance.startedByLabel}</dd>
            <dt className="text-slate-500">Started</dt>
            <dd><RelativeTime value={instance.createdAt} /></dd>
            <dt className="text-slate-500">Last change</dt>
            <dd><RelativeTime value={instance.updatedAt} /></dd>
            {instance.finishedAt && (
              <>
                <dt className="text-slate-500">Finished</dt>
                <dd><RelativeTime value={instance.finishedAt} /></dd>
              </>
            )}
            {instance.dueAt && (
              <>
                <dt className="text-slate-500">Deadline</dt>
                <dd title="Time spent paused does not count: each resume moves it back">
                  <RelativeTime value={instance.dueAt} />
                </dd>
              </>
            )}
            <dt className="text-slate-500">Current</dt>
            <dd>{instance.currentSteps.join(", ") || (instance.nextSteps.length ? `next: ${instance.nextSteps.join(", ")}` : "—")}</dd>
            <dt className="text-slate-500">Version</dt>
            <dd className="font-mono">{instance.version}</dd>
          </dl>
          <h3 className="text-sm font-medium">Input</h3>
          {/* Code blocks stay dark in dark mode: the slate scale is inverted there (globals.css), so slate-50 is the darkest. */}
          <pre className="max-h-48 overflow-auto rounded-lg bg-slate-900 p-3 font-mono text-xs text-slate-100 dark:border dark:border-slate-200 dark:bg-slate-50 dark:text-slate-900">{JSON.stringify(instance.input, null, 2)}</pre>
          <h3 className="text-sm font-medium">Context</h3>
          <pre aria-label="Context" className="max-h-72 overflow-auto rounded-lg bg-slate-900 p-3 font-mono text-xs text-slate-100 dark:border dark:border-slate-200 dark:bg-slate-50 dark:text-slate-900">{JSON.stringify(instance.context, null, 2)}</pre>
        </section>
      </div>

      {instance.gates.length > 0 && (
        <section aria-labelledby="gates-heading" className="space-y-3">
          <h2 id="gates-heading" className="font-semibold">
            Approvals
          </h2>
          {instance.waitingFor.length > 0 && (
            <p className="text-sm text-violet-900">
              {instance.waitingFor.map((g, i) => (
                <span key={`${g.stage}-${i}`} className="block">
                  Waits for approval: <span className="font-medium">{g.stage}</span>, by {g.whoMayApprove}
                  {paused && " (approving it lets the instance go on only once it is resumed)"}
                </span>
              ))}
            </p>
          )}
          <GatePipeline gates={instance.gates} />
          {instance.gates.some((g) => g.status === "pending") && (
            <Link href={`/approvals?instance=${instance.id}`} className="text-sm text-indigo-700 underline">
              {mayDecide ? "Review pending approvals" : "See pending approvals"}
            </Link>
          )}
        </section>
      )}
    </>
  );
}
