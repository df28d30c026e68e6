"use client";

import Link from "next/link";
import { ReasonDialog } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { Button } from "@/components/ui/button";
import type { ActionState } from "@/lib/action-state";
import { RESUME_CONDITION_UNMET } from "@/lib/instances/bulk-limits";
import { bulkResumeAction } from "./actions";
import type { BulkOutcome } from "./bulk-bar";

const done: Record<BulkOutcome["verb"], string> = { pause: "Paused", resume: "Resumed", "force-resume": "Force-resumed" };

/**
 * What the last bulk command did to each instance, on screen until dismissed (issue 12 §1.6: a
 * fading toast named no instance). Refusals are listed apart from successes, each with its
 * reason; resumes refused by the workflow's resume condition can be forced, with a reason.
 */
export function BulkResults({ outcome, names, canResume, onResult, onDismiss }: { outcome: BulkOutcome; names: Map<string, string>; canResume: boolean; onResult: (outcome: BulkOutcome) => void; onDismiss: () => void }) {
  const { summary, verb } = outcome;
  const refused = summary.results.filter((r) => !r.ok);
  const succeeded = summary.results.filter((r) => r.ok);
  const forceable = refused.filter((r) => !r.ok && r.headline === RESUME_CONDITION_UNMET).map((r) => r.instanceId);
  const label = (id: string) => `${names.get(id) ?? "Instance"} ${id.slice(0, 8)}`;
  const force = async (prev: ActionState, formData: FormData) => {
    const state = await bulkResumeAction(forceable, prev, formData);
    if (state.status === "success" && state.summary) onResult({ verb: "force-resume", summary: state.summary, at: Date.now() });
    return state;
  };
  return (
    <section aria-labelledby="bulk-results-heading" className={refused.length ? "rounded-md border border-amber-300 bg-amber-50 p-3 text-sm" : "rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm"}>
      <div className="flex flex-wrap items-center gap-2">
        <h2 id="bulk-results-heading" className="font-semibold">
          {done[verb]} {summary.succeeded} of {summary.results.length}
          {refused.length ? `; ${refused.length} refused` : ""}
        </h2>
        <span className="ml-auto flex flex-wrap gap-2">
          {canResume && forceable.length > 0 && (
            <ReasonDialog
              title={`Force-resume ${forceable.length} instance${forceable.length === 1 ? "" : "s"}`}
              description="Their workflow's resume condition refused them. Forcing skips the condition; say why."
              triggerLabel={`Force-resume ${forceable.length}`}
              triggerVariant="danger"
              submitLabel={`Force-resume ${forceable.length}`}
              reasonLabel="Reason"
              reasonRequired
              requiredMessage="A forced resume needs a reason"
              action={force}
            >
              {(errors) => (
                <>
                  <input type="hidden" name="force" value="on" />
                  <ReasonTagsFields idPrefix="bulk-force" errors={errors} />
                </>
              )}
            </ReasonDialog>
          )}
          <Button variant="secondary" size="sm" onClick={onDismiss}>
            Dismiss
          </Button>
        </span>
      </div>
      {refused.length > 0 && (
        <>
          <h3 className="mt-2 font-medium text-amber-900">Refused{refused.length > 0 && " (still selected)"}</h3>
          <ul aria-label="Refused instances" className="mt-1 space-y-1">
            {refused.map((r) => (
              <li key={r.instanceId} aria-label={`Refused: ${label(r.instanceId)}`} className="flex flex-wrap gap-x-2">
                <Link href={`/instances/${r.instanceId}`} className="font-mono text-indigo-700 underline-offset-2 hover:underline">
                  {label(r.instanceId)}
                </Link>
                <span className="text-amber-900">{!r.ok && r.message}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {succeeded.length > 0 && (
        <details className="mt-2" open={succeeded.length <= 10}>
          <summary className="cursor-pointer font-medium text-emerald-900">
            {done[verb]} ({succeeded.length})
          </summary>
          <ul aria-label={`${done[verb]} instances`} className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
            {succeeded.map((r) => (
              <li key={r.instanceId}>
                <Link href={`/instances/${r.instanceId}`} className="font-mono text-indigo-700 underline-offset-2 hover:underline">
                  {label(r.instanceId)}
                </Link>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
