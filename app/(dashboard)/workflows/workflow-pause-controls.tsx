"use client";

import { ReasonDialog } from "@/components/reason-dialog";
import { pauseWorkflowAction, resumeWorkflowAction } from "./actions";

/** Pause or resume a whole workflow: whether new instances of it may start. */
export function WorkflowPauseControls({ workflow, name, paused, canPause, canResume }: { workflow: string; name: string; paused: boolean; canPause: boolean; canResume: boolean }) {
  if (paused && canResume) {
    return (
      <ReasonDialog
        title={`Resume ${name}`}
        description="New instances of this workflow may start again, by hand, through the API or from a driver."
        triggerLabel="Resume workflow"
        submitLabel="Resume workflow"
        reasonLabel="Reason"
        reasonRequired={false}
        action={resumeWorkflowAction.bind(null, workflow)}
      />
    );
  }
  if (!paused && canPause) {
    return (
      <ReasonDialog
        title={`Pause ${name}`}
        description="No new instance of this workflow will start, whatever its version, until it is resumed. Instances already running go on; pause them on the Instances page."
        triggerLabel="Pause workflow"
        triggerVariant="secondary"
        submitLabel="Pause workflow"
        reasonLabel="Reason"
        reasonRequired
        requiredMessage="Say why you are pausing the workflow"
        action={pauseWorkflowAction.bind(null, workflow)}
      />
    );
  }
  return null;
}
