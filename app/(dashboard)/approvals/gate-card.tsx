import Link from "next/link";
import { FormValues } from "@/components/form-values";
import { GateDecisions } from "@/components/gate-decisions";
import { MarkdownText } from "@/components/markdown-text";
import { RelativeTime } from "@/components/relative-time";
import type { InboxItem } from "@/lib/gates/queries";
import { whoMayApprove } from "@/lib/gates/rules";
import type { DialogSubject } from "@/components/reason-dialog";
import { GateActions } from "./gate-actions";

export const statusStyle: Record<InboxItem["gate"]["status"], string> = {
  pending: "bg-violet-50 text-violet-800 ring-violet-300",
  approved: "bg-emerald-50 text-emerald-800 ring-emerald-300",
  rejected: "bg-red-50 text-red-800 ring-red-300",
  expired: "bg-slate-100 text-slate-700 ring-slate-300",
  withdrawn: "bg-slate-100 text-slate-700 ring-slate-300",
};

const settledVerb: Record<InboxItem["gate"]["status"], string> = { pending: "Decided", approved: "Approved", rejected: "Rejected", expired: "Expired", withdrawn: "Withdrawn" };

/**
 * The gate's state for an open dialog (DialogSubject): it changes with each decision; once the
 * gate is settled, deciding is moot, and the notice names who settled it and when.
 */
export function gateSubject(item: InboxItem): DialogSubject {
  const { gate, decisions } = item;
  const last = decisions.at(-1);
  const who = last && (gate.status === "pending" || gate.status === "approved" || gate.status === "rejected") ? ` by ${last.userLabel}` : "";
  const verb = gate.status === "pending" ? (last?.decision === "reject" ? "Rejected" : "Approved") : settledVerb[gate.status];
  return {
    key: `${gate.status}:${decisions.length}`,
    state: gate.status === "pending" ? `pending (${item.progress})` : gate.status,
    lastChange: last || gate.decidedAt ? (
      <>
        {verb}
        {who} <RelativeTime value={gate.decidedAt ?? last?.createdAt} />
      </>
    ) : (
      "Requested"
    ),
    refusal: gate.status === "pending" ? null : `The gate is already ${gate.status}; there is nothing left to decide`,
  };
}

/**
 * Approve, reject and delegate for a gate the user may decide (`delegates` given), or for the gate
 * whose dialog is open (`held`) even once settled, so the dialog stays to say who acted.
 */
export function GateControls({ item, delegates, held }: { item: InboxItem; delegates?: { email: string; name: string }[]; held?: boolean }) {
  const { gate } = item;
  if (!delegates || (gate.status !== "pending" && !held)) return null;
  return <GateActions gateId={gate.id} instanceId={gate.instanceId} stage={gate.stage} progress={item.progress} delegates={delegates} heldBy={item.instanceStatus === "paused" ? (item.pausedByLabel ?? "someone") : null} subject={gateSubject(item)} form={gate.form} options={gate.options} />;
}

/** A gate as an approver reviews it: what to check, the context, the decisions so far, then act. */
export function GateCard({ item, delegates, held }: { item: InboxItem; delegates?: { email: string; name: string }[]; held?: boolean }) {
  const { gate } = item;
  const context = Object.entries(item.context).slice(0, 8);
  return (
    <article aria-labelledby={`gate-${gate.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <header className="flex flex-wrap items-start gap-x-3 gap-y-1">
        <h2 id={`gate-${gate.id}`} className="font-semibold">
          {gate.stage}
        </h2>
        <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${statusStyle[gate.status]}`}>{gate.status}</span>
        <span className="text-sm text-slate-600">{item.progress}</span>
        <span className="ml-auto text-sm text-slate-600">
          {item.workflowName} ·{" "}
          <Link href={`/instances/${gate.instanceId}`} className="font-mono text-indigo-700 hover:underline" aria-label={`Open instance ${gate.instanceId}`}>
            {gate.instanceId.slice(0, 8)}
          </Link>
        </span>
      </header>
      <dl className="mt-2 flex flex-wrap gap-x-6 gap-y-1 text-sm">
        <div><dt className="inline text-slate-500">Requested by </dt><dd className="inline">{gate.requestedByLabel}</dd></div>
        <div><dt className="inline text-slate-500">Waiting since </dt><dd className="inline"><RelativeTime value={gate.requestedAt} /></dd></div>
        {gate.expiresAt && <div><dt className="inline text-slate-500">Expires </dt><dd className="inline"><RelativeTime value={gate.expiresAt} /> ({gate.onExpiry === "fail" ? "then fails" : gate.onExpiry === "step" ? `then goes to step ${gate.expiryStep}` : "then continues"})</dd></div>}
        <div><dt className="inline text-slate-500">Who may approve </dt><dd className="inline">{whoMayApprove(gate)}</dd></div>
        {item.quorum && <div><dt className="inline text-slate-500">Quorum </dt><dd className="inline">{item.quorum}</dd></div>}
      </dl>
      {item.instanceStatus === "paused" && (
        <p role="status" aria-label="Instance paused" className="mt-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
          <span className="font-medium">
            Paused by {item.pausedByLabel ?? "someone"} <RelativeTime value={item.pausedAt} />
          </span>
          {item.pauseReason && <span className="break-words">: “{item.pauseReason}”</span>}
          <span className="block text-amber-900">Decisions still count; once approved, the instance moves on when it is resumed.</span>
        </p>
      )}
      <div className="mt-3 grid gap-4 md:grid-cols-2 [&>*]:min-w-0">
        <section aria-label="Instructions" className="text-sm text-slate-800">
          <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">Instructions</h3>
          {gate.instructions ? <MarkdownText text={gate.instructions} /> : <p className="text-slate-500">None given.</p>}
        </section>
        <section aria-label="Context" className="text-sm">
          <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">Context</h3>
          {context.length ? (
            <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 font-mono text-xs">
              {context.map(([k, v]) => (
                <div key={k} className="contents">
                  <dt className="text-slate-500">{k}</dt>
                  <dd className="truncate">{JSON.stringify(v)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="text-slate-500">Empty.</p>
          )}
        </section>
      </div>
      {gate.status !== "pending" && (gate.chosenOption || gate.values) && (
        <section aria-label="Outcome" className="mt-3 text-sm">
          <h3 className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">What the step receives</h3>
          <FormValues option={gate.chosenOption} values={gate.values} order={gate.form?.order} />
        </section>
      )}
      {gate.status === "pending" && gate.options.length > 0 && (
        <p className="mt-3 text-sm text-slate-700">
          Paths: {gate.options.map((o) => `${o.label ?? o.name} → ${o.next}`).join("; ")}
        </p>
      )}
      <section aria-label="Decisions so far" className="mt-3">
        <GateDecisions decisions={item.decisions} delegations={item.delegations} order={gate.form?.order} />
      </section>
      {delegates && (gate.status === "pending" || held) && (
        <div className="mt-4 border-t border-slate-100 pt-3">
          <GateControls item={item} delegates={delegates} held={held} />
        </div>
      )}
    </article>
  );
}
