"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { approveGate, rejectGate, type DecisionResult } from "@/lib/gates/decide-gate";
import { delegateGate } from "@/lib/gates/delegate-gate";

const settledMessage = { approved: "Gate approved: the instance moves on", rejected: "Gate rejected: the instance has failed", recorded: "Approval recorded" } as const;

/** What an approval did, in words: a paused instance moves on only once it is resumed. */
function approvedMessage(result: DecisionResult): string {
  if (result.outcome === "recorded") return `${settledMessage.recorded} (${result.progress})`;
  if (result.gate.chosenOption) return `Gate approved: the instance takes "${result.gate.chosenOption}"${result.skipped.length ? `; skipped ${result.skipped.join(", ")}` : ""}${result.heldBy ? ` when it is resumed (paused by ${result.heldBy})` : ""}`;
  if (result.heldBy) return `Gate approved: the instance moves on when it is resumed (paused by ${result.heldBy})`;
  return settledMessage[result.outcome];
}

function refresh(state: ActionState, instanceId: string): ActionState {
  if (state.status === "success") {
    revalidatePath("/approvals");
    revalidatePath(`/instances/${instanceId}`);
  }
  return state;
}

export async function approveAction(gateId: string, instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("gates:decide", formData, async ({ db, user, form }) => {
    // The gate form's fields arrive as `values.<field>` strings; the use case reads them as a form's (source "form").
    const values = Object.fromEntries(Object.entries(form).filter(([k]) => k.startsWith("values.")).map(([k, v]) => [k.slice("values.".length), v]));
    return approvedMessage(await approveGate(db, { gateId, comment: form.comment, option: form.option, values }, user, "form"));
  });
  return refresh(state, instanceId);
}

export async function rejectAction(gateId: string, instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("gates:decide", formData, async ({ db, user, form }) => {
    const result = await rejectGate(db, { gateId, comment: form.comment ?? "", category: form.category, ticketUrl: form.ticketUrl }, user);
    return settledMessage[result.outcome];
  });
  return refresh(state, instanceId);
}

export async function delegateAction(gateId: string, instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("gates:decide", formData, async ({ db, user, form }) => {
    const row = await delegateGate(db, { gateId, to: form.to ?? "", reason: form.reason ?? "" }, user);
    return `Delegated to ${row.toLabel}`;
  });
  return refresh(state, instanceId);
}
