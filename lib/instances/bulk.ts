import "server-only";
import { z } from "zod";
import type { Db } from "@/db/client";
import type { Actor } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { categorySchema, optionalReason, requiredReason, ticketUrlSchema } from "./inputs";
import { pauseInstance } from "./pause-instance";
import { resumeInstance } from "./resume-instance";

import { BULK_MAX, BULK_RESUME_RATE, type BulkRefusal, type BulkResult, type BulkSummary } from "./bulk-limits";

export { BULK_MAX, BULK_RESUME_RATE };
export type { BulkRefusal, BulkResult, BulkSummary };

const ids = z.array(z.string().max(100)).min(1, "Select at least one instance").max(BULK_MAX, `Select at most ${BULK_MAX} instances`);

export const bulkPauseSchema = z.object({
  instanceIds: ids,
  reason: requiredReason("Say why you are pausing"),
  mode: z.enum(["graceful", "immediate"]).default("graceful"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
});
export const bulkResumeSchema = z
  .object({ instanceIds: ids, reason: optionalReason, force: z.boolean().default(false), category: categorySchema, ticketUrl: ticketUrlSchema })
  // Checked once for the whole command rather than refused once per instance.
  .superRefine((value, ctx) => {
    if (value.force && !value.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: "A forced resume needs a reason" });
  });


/**
 * Each instance is its own command and its own transaction (one refusal must not undo the
 * others): an already-paused instance reports its conflict, the rest are paused.
 */
export async function bulkPause(db: Db, raw: Untrusted, actor: Actor): Promise<BulkSummary> {
  const input = parseInput(bulkPauseSchema, raw);
  return run(input.instanceIds, 0, (instanceId) =>
    pauseInstance(db, { instanceId, reason: input.reason, mode: input.mode, category: input.category, ticketUrl: input.ticketUrl }, actor),
  );
}

/** Resumes one at a time at no more than `ratePerSecond`, so downstream systems see a ramp, not a wall. */
export async function bulkResume(db: Db, raw: Untrusted, actor: Actor, ratePerSecond = BULK_RESUME_RATE): Promise<BulkSummary> {
  const input = parseInput(bulkResumeSchema, raw);
  return run(input.instanceIds, 1000 / ratePerSecond, (instanceId) =>
    resumeInstance(db, { instanceId, reason: input.reason, force: input.force, category: input.category, ticketUrl: input.ticketUrl }, actor),
  );
}

/**
 * One line for the operator: "Paused 3 of 5; 2 refused (Already paused by ops@acme.dev; Instance not found)",
 * naming at most two kinds of refusal.
 */
export function describeBulk(verb: string, summary: BulkSummary): string {
  const why = summary.failed ? `; ${summary.failed} refused (${summary.refusals.slice(0, 2).map((r) => r.headline).join("; ")})` : "";
  return `${verb} ${summary.succeeded} of ${summary.results.length}${why}`;
}

async function run(instanceIds: string[], spacingMs: number, command: (id: string) => Promise<unknown>): Promise<BulkSummary> {
  const results: BulkResult[] = [];
  const refusals = new Map<string, BulkRefusal>();
  let next = performance.now();
  for (const instanceId of [...new Set(instanceIds)]) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    next = performance.now() + spacingMs;
    try {
      await command(instanceId);
      results.push({ instanceId, ok: true });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const headline = error.detail?.headline ?? error.message;
      results.push({ instanceId, ok: false, code: error.code, message: error.message, headline });
      const group = refusals.get(headline);
      if (group) group.count++;
      else refusals.set(headline, { code: error.code, headline, count: 1 });
    }
  }
  const succeeded = results.filter((r) => r.ok).length;
  return { succeeded, failed: results.length - succeeded, results, refusals: [...refusals.values()] };
}
