"use client";

import { ReasonDialog } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { Button } from "@/components/ui/button";
import type { ActionState } from "@/lib/action-state";
import { BULK_RESUME_RATE, type BulkSummary } from "@/lib/instances/bulk-limits";
import { bulkPauseAction, bulkResumeAction } from "./actions";

/** What a bulk command did, kept on screen by the table until dismissed (bulk-results.tsx). */
export type BulkOutcome = { verb: "pause" | "resume" | "force-resume"; summary: BulkSummary; at: number };

/**
 * Acts on the selected rows: each instance is paused or resumed on its own; refusals are
 * counted, not fatal. `onResult` gets every instance's answer; `onClear` empties the selection.
 */
export function BulkBar({ selected, canPause, canResume, onResult, onClear }: { selected: string[]; canPause: boolean; canResume: boolean; onResult: (outcome: BulkOutcome) => void; onClear: () => void }) {
  if (!selected.length) return null;
  const n = selected.length;
  const after = (action: typeof bulkPauseAction, verb: BulkOutcome["verb"]) => async (prev: ActionState, formData: FormData) => {
    const state = await action(selected, prev, formData);
    if (state.status === "success" && state.summary) onResult({ verb, summary: state.summary, at: Date.now() });
    return state;
  };
  return (
    <div role="region" aria-label="Selected instances" className="flex flex-wrap items-center gap-2 rounded-md border border-indigo-200 bg-indigo-50 px-3 py-2 text-sm">
      <span className="font-medium">{n} selected</span>
      {canPause && (
        <ReasonDialog
          title={`Pause ${n} instance${n === 1 ? "" : "s"}`}
          description="Each selected instance is paused on its own, gracefully: running steps finish, nothing new starts. Instances that cannot be paused are reported, not skipped silently."
          triggerLabel="Pause selected"
          triggerVariant="danger"
          submitLabel={`Pause ${n}`}
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you are pausing"
          action={after(bulkPauseAction, "pause")}
        >
          {(errors) => (
            <>
              <input type="hidden" name="mode" value="graceful" />
              <ReasonTagsFields idPrefix="bulk-pause" errors={errors} />
            </>
          )}
        </ReasonDialog>
      )}
      {canResume && (
        <ReasonDialog
          title={`Resume ${n} instance${n === 1 ? "" : "s"}`}
          description={`Resumed one after another at most ${BULK_RESUME_RATE} a second, so what they call sees a ramp, not a wall. Each still checks its resume condition.`}
          triggerLabel="Resume selected"
          submitLabel={`Resume ${n}`}
          reasonLabel="Reason"
          reasonRequired={false}
          action={after(bulkResumeAction, "resume")}
        >
          {(errors) => <ReasonTagsFields idPrefix="bulk-resume" errors={errors} />}
        </ReasonDialog>
      )}
      <Button variant="ghost" size="sm" onClick={onClear}>
        Clear selection
      </Button>
    </div>
  );
}
