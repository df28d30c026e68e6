"use client";

import { actionLabels } from "@/components/history-timeline";
import { ReasonDialog, type DialogSubject } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { RelativeTime } from "@/components/relative-time";
import { Field, Input } from "@/components/ui/field";
import type { InstanceStatus } from "@/lib/domain";
import type { HistoryRow } from "@/lib/rows";
import { cancelAction, pauseAction, resumeAction, retryAction } from "./actions";

type Command = "pause" | "resume" | "cancel" | "retry";

export type InstanceControlsProps = {
  instanceId: string;
  status: InstanceStatus;
  /** The history row that set the current status: who acted last, shown if it happens while a dialog is open. */
  lastChange: (Pick<HistoryRow, "id" | "action" | "actorLabel"> & { createdAt: Date | string }) | null;
  /** The commands the role may use (lib/auth/permissions.ts). */
  may: Record<Command, boolean>;
  /** Why the state machine refuses each command now, or null where it allows it. */
  refusals: Record<Command, string | null>;
  hasResumeCondition: boolean;
  /** The step(s) a retry runs again, named in its dialog (a failed instance only). */
  failedSteps: string[];
};

/**
 * Pause, resume and cancel, each offered when the role may use it and the state machine allows
 * it. A dialog left open while someone else changes the instance stays open (see DialogSubject).
 */
export function InstanceControls({ instanceId, status, lastChange, may, refusals, hasResumeCondition, failedSteps }: InstanceControlsProps) {
  const subject = (command: Command): DialogSubject => ({
    key: `${status}:${lastChange?.id ?? ""}`,
    state: status.replace("_", " "),
    lastChange: lastChange && (
      <>
        {actionLabels[lastChange.action]} by {lastChange.actorLabel} <RelativeTime value={lastChange.createdAt} />
      </>
    ),
    refusal: refusals[command],
  });
  return (
    <div className="flex flex-wrap gap-2">
      {may.retry && (
        <ReasonDialog
          title="Retry this instance"
          description={
            <>
              It runs again from {failedSteps.length === 1 ? "its failed step" : "its failed steps"}
              {failedSteps.length > 0 && <> (<span className="font-medium">{failedSteps.join(", ")}</span>)</>}, as a new attempt. Completed steps are
              not run again, the context is kept and approvals already decided stay decided.
            </>
          }
          triggerLabel="Retry"
          submitLabel="Retry instance"
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you are retrying"
          action={retryAction.bind(null, instanceId)}
          subject={subject("retry")}
        >
          {(errors) => <ReasonTagsFields idPrefix="retry" errors={errors} />}
        </ReasonDialog>
      )}
      {may.pause && (
        <ReasonDialog
          title="Pause this instance"
          description="No new step will start once the pause commits. Graceful lets running steps finish; immediate interrupts them, and they run again from their start on resume."
          triggerLabel="Pause"
          triggerVariant="danger"
          submitLabel="Pause instance"
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you are pausing"
          action={pauseAction.bind(null, instanceId)}
          subject={subject("pause")}
          shortcut="p"
        >
          {(errors) => (
            <>
              <ReasonTagsFields idPrefix="pause" errors={errors} />
              <fieldset className="space-y-2">
                <legend className="text-sm font-medium text-slate-800">Mode</legend>
                <label className="flex items-start gap-2 text-sm">
                  <input type="radio" name="mode" value="graceful" defaultChecked className="mt-1" />
                  <span>
                    Graceful <span className="block text-xs text-slate-500">Running steps finish and keep their results.</span>
                  </span>
                </label>
                <label className="flex items-start gap-2 text-sm">
                  <input type="radio" name="mode" value="immediate" className="mt-1" />
                  <span>
                    Immediate <span className="block text-xs text-slate-500">Running steps are interrupted now and rerun on resume.</span>
                  </span>
                </label>
              </fieldset>
              <Field id="resumeAt" label="Resume automatically at (UTC, optional)" hint="Leave empty to wait for a person." errors={errors.resumeAt}>
                <Input id="resumeAt" name="resumeAt" type="datetime-local" aria-describedby="resumeAt-hint resumeAt-error" />
              </Field>
            </>
          )}
        </ReasonDialog>
      )}
      {may.resume && (
        <ReasonDialog
          title="Resume this instance"
          description={
            <>
              It continues exactly where it stopped: finished steps are not run again and its context is unchanged.
              {hasResumeCondition && " This workflow checks a resume condition first; force skips it and needs a reason."}
            </>
          }
          triggerLabel="Resume"
          submitLabel="Resume instance"
          reasonLabel="Reason"
          reasonRequired={false}
          action={resumeAction.bind(null, instanceId)}
          subject={subject("resume")}
          shortcut="r"
        >
          {(errors) => (
            <>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="force" /> Force: skip the resume condition (needs a reason)
              </label>
              <ReasonTagsFields idPrefix="resume" errors={errors} />
            </>
          )}
        </ReasonDialog>
      )}
      {may.cancel && (
        <ReasonDialog
          title="Cancel this instance"
          description="Running steps are aborted, queued steps dropped and pending approvals withdrawn. This cannot be undone."
          triggerLabel="Cancel instance"
          triggerVariant="secondary"
          submitLabel="Cancel instance"
          dismissLabel="Keep instance"
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you are cancelling"
          action={cancelAction.bind(null, instanceId)}
          subject={subject("cancel")}
        />
      )}
    </div>
  );
}
