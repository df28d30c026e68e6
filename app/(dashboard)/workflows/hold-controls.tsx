"use client";

import { ReasonDialog } from "@/components/reason-dialog";
import { holdWorkflowAction, releaseWorkflowAction } from "./actions";

/** Pause or resume a whole workflow: whether new instances of it may start. */
export function HoldControls({ workflow, name, held, canHold, canRelease }: { workflow: string; name: string; held: boolean; canHold: boolean; canRelease: boolean }) {
  if (held && canRelease) {
    return (
      <ReasonDialog
        title={`Resume ${name}`}
        description="New instances of this workflow may start again, by hand, through the API or from a driver."
        triggerLabel="Resume workflow"
        submitLabel="Resume workflow"
        reasonLabel="Reason"
        reasonRequired={false}
        action={releaseWorkflowAction.bind(null, workflow)}
      />
    );
  }
  if (!held && canHold) {
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
        action={holdWorkflowAction.bind(null, workflow)}
      />
    );
  }
  return null;
}
