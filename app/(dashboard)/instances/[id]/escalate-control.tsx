"use client";

import { ReasonDialog } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { escalatePauseAction } from "./escalate-action";

/**
 * On a graceful pause still draining: the way to stop the running steps now instead of waiting
 * for them (escalatePause). Shown only when that is possible and the role may pause.
 */
export function EscalateControl({ instanceId, running }: { instanceId: string; running: number }) {
  return (
    <ReasonDialog
      title="Pause immediately"
      description={`The ${running === 1 ? "step still running is" : `${running} steps still running are`} interrupted now instead of finishing; ${running === 1 ? "it runs" : "they run"} again from the start on resume. The pause itself, and who made it, stay as they are.`}
      triggerLabel="Pause immediately"
      triggerVariant="danger"
      submitLabel="Interrupt running steps"
      reasonLabel="Reason"
      reasonRequired
      requiredMessage="Say why the running steps must stop now"
      action={escalatePauseAction.bind(null, instanceId)}
    >
      {(errors) => <ReasonTagsFields idPrefix="escalate" errors={errors} />}
    </ReasonDialog>
  );
}
