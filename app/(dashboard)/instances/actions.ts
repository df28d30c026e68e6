"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { bulkPause, bulkResume, type BulkSummary } from "@/lib/instances/bulk";

function describe(verb: string, summary: BulkSummary): string {
  const refused = summary.results.filter((r) => !r.ok);
  const why = refused.length ? `; ${refused.length} refused (${[...new Set(refused.map((r) => (r.ok ? "" : r.message.split(" at ")[0])))].slice(0, 2).join("; ")})` : "";
  return `${verb} ${summary.succeeded} of ${summary.results.length}${why}`;
}

export async function bulkPauseAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:pause", formData, async ({ db, user, form }) =>
    describe("Paused", await bulkPause(db, { instanceIds, reason: form.reason, mode: form.mode, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user))),
  );
  revalidatePath("/instances");
  return state;
}

export async function bulkResumeAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:resume", formData, async ({ db, user, form }) =>
    describe("Resumed", await bulkResume(db, { instanceIds, reason: form.reason, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user))),
  );
  revalidatePath("/instances");
  return state;
}
