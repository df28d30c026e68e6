"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { windowIdOf } from "@/lib/actors";
import { actorOf } from "@/lib/auth/permissions";
import { invalid } from "@/lib/errors";
import { startInstance } from "@/lib/instances/start-instance";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { describePolicy, setStartPolicy } from "@/lib/workflows/start-policy";
import { catalog } from "@/workflows/catalog";

/** Form fields named `input.<key>` become the input object; blanks are left out so defaults apply. */
/** A start's result, with the new instance's id so the toast can link to it. */
export type StartState = ActionState & { instanceId?: string };

export async function startAction(workflow: string, _prev: ActionState, formData: FormData): Promise<StartState> {
  let instanceId: string | undefined;
  const state = await runAction("instances:start", formData, async ({ db, user, form }) => {
    const input: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(form)) {
      if (!name.startsWith("input.") || value === "") continue;
      const key = name.slice("input.".length);
      const kind = form[`type.${key}`];
      if (kind === "number" || kind === "integer") {
        const n = Number(value);
        if (!Number.isFinite(n)) throw invalid("Enter a number", { [name]: ["Enter a number"] });
        input[key] = n;
      } else if (kind === "boolean") input[key] = value === "on";
      else input[key] = value;
    }
    const created = await startInstance(db, { workflow, input }, actorOf(user), { catalog });
    instanceId = created.id;
    // A maintenance window over a filter of instances that this start matches holds it at once.
    if (created.status === "paused" && windowIdOf(created.pausedByLabel)) return `Started instance ${created.id}; a maintenance window holds it until the window ends`;
    return `Started instance ${created.id}`;
  });
  if (state.status === "success") revalidatePath("/workflows");
  return { ...state, instanceId };
}

export async function pauseWorkflowAction(workflow: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("workflows:pause", formData, async ({ db, user, form }) => {
    await pauseWorkflow(db, { workflow, reason: form.reason }, actorOf(user));
    return `${workflow} is paused: no new instance starts`;
  });
  if (state.status === "success") revalidatePath("/workflows");
  return state;
}

export async function resumeWorkflowAction(workflow: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("workflows:resume", formData, async ({ db, user, form }) => {
    const { started, dropped } = await resumeWorkflow(db, { workflow, reason: form.reason }, actorOf(user));
    const queue = started || dropped ? `; ${started} queued start${started === 1 ? "" : "s"} began${dropped ? `, ${dropped} dropped past their time-to-live` : ""}` : "";
    return `${workflow} is resumed: new instances may start${queue}`;
  });
  if (state.status === "success") revalidatePath("/workflows");
  return state;
}

export async function startPolicyAction(workflow: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("workflows:policy", formData, async ({ db, user, form }) => {
    const row = await setStartPolicy(db, { workflow, policy: form.policy, queueTtlSeconds: form.policy === "queue" ? form.queueTtlSeconds : undefined, reason: form.reason }, actorOf(user));
    return `${workflow}: starts while paused now ${describePolicy(row)}`;
  });
  if (state.status === "success") revalidatePath("/workflows");
  return state;
}
