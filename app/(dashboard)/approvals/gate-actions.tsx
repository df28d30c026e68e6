"use client";

import { useRouter } from "next/navigation";
import { ReasonDialog, type DialogSubject } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { GateFormFields } from "@/components/gate-form-fields";
import { Select } from "@/components/ui/field";
import type { GateForm, GateOption } from "@/lib/domain";
import { COMMENT_MAX } from "@/lib/gates/limits";
import { approveAction, delegateAction, rejectAction } from "./actions";

/**
 * Names the gate whose dialog is open in the page's URL (`open=`), so the page's refresh keeps its
 * card even after someone else settles the gate, and the dialog can say who did (DialogSubject).
 * history.replaceState: Next.js's router follows it, so the next refresh asks for that URL.
 */
function holdOpen(gateId: string, open: boolean): boolean {
  const url = new URL(window.location.href);
  if (open) url.searchParams.set("open", gateId);
  else if (url.searchParams.get("open") === gateId) url.searchParams.delete("open");
  else return false;
  window.history.replaceState(null, "", url);
  return true;
}

/**
 * Approve, reject (a comment required) and delegate, for one gate the user may decide. `subject`:
 * the gate's state as last rendered; when someone else decides meanwhile, an open dialog stays,
 * keeps what was typed and says who acted (components/reason-dialog.tsx).
 */
export function GateActions({ gateId, instanceId, stage, progress, delegates, heldBy, subject, form = null, options = [] }: { gateId: string; instanceId: string; stage: string; progress: string; delegates: { email: string; name: string }[]; heldBy: string | null; subject: DialogSubject; form?: GateForm | null; options?: GateOption[] }) {
  const router = useRouter();
  // Closing lets go of the card: refresh now, so a gate someone else settled meanwhile leaves the
  // inbox at once (the live stream sent its change while the dialog held it; nothing polls).
  const onOpenChange = (open: boolean) => {
    if (holdOpen(gateId, open) && !open) router.refresh();
  };
  const asks = form !== null || options.length > 0;
  return (
    <div className="flex flex-wrap gap-2">
      <ReasonDialog
        title={`Approve "${stage}"`}
        description={`Your approval is recorded with your name${asks ? ", the path and values you choose" : ""} and comment. This gate has ${progress} so far.${heldBy ? ` The instance is paused by ${heldBy}: it moves on only when it is resumed.` : ""}`}
        triggerLabel="Approve"
        submitLabel="Approve"
        reasonLabel="Comment"
        fieldName="comment"
        maxLength={COMMENT_MAX}
        reasonRequired={false}
        action={approveAction.bind(null, gateId, instanceId)}
        subject={subject}
        onOpenChange={onOpenChange}
        childrenFirst
      >
        {asks ? (errors) => <GateFormFields idPrefix={`approve-${gateId}`} form={form} options={options} errors={errors} /> : undefined}
      </ReasonDialog>
      <ReasonDialog
        title={`Reject "${stage}"`}
        description="A rejection ends the gate at once and the instance fails. Say what the requester must fix."
        triggerLabel="Reject"
        triggerVariant="danger"
        submitLabel="Reject"
        reasonLabel="Comment"
        fieldName="comment"
        maxLength={COMMENT_MAX}
        reasonRequired
        requiredMessage="Say why you reject: the requester needs to know"
        action={rejectAction.bind(null, gateId, instanceId)}
        subject={subject}
        onOpenChange={onOpenChange}
      >
        {(errors) => <ReasonTagsFields idPrefix={`reject-${gateId}`} errors={errors} />}
      </ReasonDialog>
      {delegates.length > 0 && (
        <ReasonDialog
          title={`Delegate "${stage}"`}
          description="Pass your turn on this gate to another approver. You will no longer be able to decide it."
          triggerLabel="Delegate"
          triggerVariant="secondary"
          submitLabel="Delegate"
          reasonLabel="Reason"
          reasonRequired
          requiredMessage="Say why you delegate"
          action={delegateAction.bind(null, gateId, instanceId)}
          subject={subject}
          onOpenChange={onOpenChange}
        >
          <div className="space-y-1.5">
            <label htmlFor={`to-${gateId}`} className="block text-sm font-medium text-slate-800">
              Delegate to
            </label>
            <Select id={`to-${gateId}`} name="to" defaultValue={delegates[0]?.email}>
              {delegates.map((d) => (
                <option key={d.email} value={d.email}>
                  {d.name} ({d.email})
                </option>
              ))}
            </Select>
          </div>
        </ReasonDialog>
      )}
    </div>
  );
}
