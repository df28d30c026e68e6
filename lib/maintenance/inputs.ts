import { z } from "zod";
import { reasonCategories, type WindowFilter } from "@/lib/domain";
import { instanceListFilter } from "@/lib/instances/list-filter";
import { categorySchema, expectedVersionSchema, requiredReason } from "@/lib/instances/inputs";
import { isoDate, optionalText, requiredText } from "@/lib/text";
import { recurrenceProblem } from "./occurrences";

/** The longest a window may last, once or per occurrence: a week. */
export const WINDOW_MAX_MINUTES = 7 * 24 * 60;
/** How many workflows one window may pause. */
export const WINDOW_MAX_WORKFLOWS = 50;

const workflowKeys = z.preprocess(
  (v) => (typeof v === "string" ? [v] : v),
  z
    .array(requiredText({ label: "Workflow", max: 200, required: "Name the workflow" }), { error: "Choose the workflows to pause" })
    .min(1, "Choose at least one workflow")
    .max(WINDOW_MAX_WORKFLOWS, `Choose at most ${WINDOW_MAX_WORKFLOWS} workflows`),
);
const minutes = z.preprocess(
  (v) => (v === "" || v === undefined ? undefined : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v),
  z.number({ error: "Enter a whole number of minutes" }).int("Enter a whole number of minutes").min(1, "At least a minute").max(WINDOW_MAX_MINUTES, "At most a week (10080 minutes)").optional(),
);

/**
 * Which instances of its workflows a window holds, instead of the whole workflows: the instance
 * list's own `q` (an id prefix) and `input` (an input search such as `region=eu, tier=gold`),
 * the same fields and messages as the list and bulk by filter (`instanceListFilter.pick`), at
 * least one of them given. Unknown keys are refused. The output keeps only the fields given, as
 * stored in `maintenance_windows.instance_filter`; it is parsed again whenever it is read back
 * (lib/maintenance/window-filter.ts), so a stored filter the boundary would refuse matches nothing.
 */
export const windowFilterSchema = instanceListFilter
  .pick({ q: true, input: true })
  .strict()
  .transform((f, ctx): WindowFilter => {
    const out: WindowFilter = {};
    if (f.q) out.q = f.q;
    if (f.input) out.input = f.input;
    if (!out.q && !out.input) {
      ctx.addIssue({ code: "custom", path: ["input"], message: "Give an input search (like region=eu) or an id prefix; leave the filter out to pause whole workflows" });
      return z.NEVER;
    }
    return out;
  })
  .meta({ description: "Hold only the running and waiting instances of the workflows that match (and new starts that match), not the workflows: `input`, an input search like `region=eu, tier=gold`; `q`, an instance id prefix. Null or absent: the whole workflows are paused" });

/** The fields of a window that say what it pauses and why, and when: once or recurring. */
const windowFields = {
  title: requiredText({ label: "Title", max: 200, required: "Give the window a title" }),
  workflowKeys,
  instanceFilter: windowFilterSchema.nullable().optional(),
  reason: requiredReason("Say why these workflows pause"),
  category: categorySchema.meta({ description: `One of ${reasonCategories.join(", ")}; default maintenance` }),
  startsAt: isoDate({ label: "Start" }),
  endsAt: isoDate({ label: "End" }),
  cron: optionalText({ label: "Cron expression", max: 100 }),
  timezone: optionalText({ label: "Time zone", max: 64 }),
  durationMinutes: minutes,
};

type WindowFields = { startsAt?: Date; endsAt?: Date; cron?: string; timezone?: string; durationMinutes?: number };

/** Once (startsAt and endsAt, the end in the future) or recurring (cron, timezone, durationMinutes), never half of either. */
function checkTiming(value: WindowFields, ctx: z.RefinementCtx): void {
  const recurring = value.cron !== undefined || value.durationMinutes !== undefined;
  if (recurring) {
    if (value.startsAt || value.endsAt) ctx.addIssue({ code: "custom", path: ["startsAt"], message: "A recurring window has a cron expression and a length, not a start and end" });
    if (value.cron === undefined) ctx.addIssue({ code: "custom", path: ["cron"], message: "Give the cron expression of its starts, like 0 2 * * * (every night at 02:00)" });
    if (value.durationMinutes === undefined) ctx.addIssue({ code: "custom", path: ["durationMinutes"], message: "Say how many minutes each occurrence lasts" });
    const timezone = value.timezone ?? "UTC";
    if (value.cron !== undefined) {
      const problem = recurrenceProblem(value.cron, timezone);
      if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
    }
    return;
  }
  if (!value.startsAt) ctx.addIssue({ code: "custom", path: ["startsAt"], message: "Give the start, or a cron expression for a recurring window" });
  if (!value.endsAt) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "Give the end" });
  if (!value.startsAt || !value.endsAt) return;
  if (value.endsAt <= value.startsAt) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "The end must be after the start" });
  else if (value.endsAt.getTime() - value.startsAt.getTime() > WINDOW_MAX_MINUTES * 60_000) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "A window lasts at most a week" });
  if (value.endsAt.getTime() <= Date.now()) ctx.addIssue({ code: "custom", path: ["endsAt"], message: "The end has already passed" });
}

export const createWindowSchema = z.object(windowFields).superRefine(checkTiming);

/** A draft window's workflows and instance filter, to count what it would pause now (the form's preview). */
export const previewWindowSchema = z.object({ workflowKeys: windowFields.workflowKeys, instanceFilter: windowFields.instanceFilter });
export type CreateWindowInput = z.input<typeof createWindowSchema>;

/** An edit restates the whole window (a scheduled one only), with the version the form was read at. */
export const editWindowSchema = z.object({ windowId: z.string().max(100), ...windowFields, expectedVersion: expectedVersionSchema }).superRefine(checkTiming);

/** Ending an active window early, or cancelling a window: who says why. */
export const endWindowSchema = z.object({ windowId: z.string().max(100), reason: requiredReason("Say why you are ending the window early") });
export const cancelWindowSchema = z.object({ windowId: z.string().max(100), reason: requiredReason("Say why you are cancelling the window") });

export const listWindowsQuery = z.object({
  include: z.enum(["upcoming", "all"], { error: "Choose upcoming or all" }).default("upcoming").meta({ description: "`upcoming`: scheduled and active windows (default); `all`: also ended and cancelled ones, newest first" }),
});
