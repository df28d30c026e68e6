"use client";

import { ReasonDialog } from "@/components/reason-dialog";
import { cancelWindowAction, endWindowAction } from "./actions";

/** End early (an active window) and Cancel (any window not over), each asking why. */
export function WindowControls({ windowId, title, active }: { windowId: string; title: string; active: boolean }) {
  return (
    <div className="flex flex-wrap gap-2">
      {active && (
        <ReasonDialog
          title={`End ${title} early`}
          description="Its workflows are resumed now and the instances it paused are resumed, paced. Anything someone else paused meanwhile stays paused. A recurring window still comes back at its next time."
          triggerLabel="End early"
          submitLabel="End window now"
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you are ending the window early"
          action={endWindowAction.bind(null, windowId)}
        />
      )}
      <ReasonDialog
        title={`Cancel ${title}`}
        description={active ? "The window ends now and never comes back." : "The window will not start; a recurring one never comes back."}
        triggerLabel="Cancel window"
        triggerVariant="secondary"
        submitLabel="Cancel window"
        dismissLabel="Keep it"
        reasonLabel="Reason"
        reasonRequired
        requiredMessage="Say why you are cancelling the window"
        action={cancelWindowAction.bind(null, windowId)}
      />
    </div>
  );
}
