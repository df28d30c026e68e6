import { z } from "zod";
import { UUID_PATTERN } from "@/lib/domain";
import { optionalText } from "@/lib/text";

/*
 * The Approvals page's URL state: which gates it shows and in what order. Only zod is imported,
 * so the page's client controls share it. Lenient by design (`.catch`): a hand-edited or stale
 * URL falls back to the defaults rather than an error page; the values that pass reach SQL only
 * as bound parameters.
 */

export const approvalViews = ["pending", "decided"] as const;
export type ApprovalView = (typeof approvalViews)[number];

/** Newest or oldest first: by request time for pending gates, by decision time for decided ones. */
export const gateOrders = ["oldest", "newest"] as const;
export type GateOrder = (typeof gateOrders)[number];

/** Cards (the full review) or a compact list; remembered per browser in the `approvals-layout` cookie. */
export const approvalLayouts = ["cards", "compact"] as const;
export type ApprovalLayout = (typeof approvalLayouts)[number];
export const APPROVALS_LAYOUT_COOKIE = "approvals-layout";

/**
 * - `view`: pending (the inbox; for readers, every pending gate) or recently decided;
 * - `workflow`: a workflow key; `stage`: a gate's stage name (both exact);
 * - `order`: oldest or newest first (default: oldest for pending, as a queue; newest for decided);
 * - `instance`: one instance's gates, whatever their state;
 * - `open`: the gate whose dialog is open in this tab: kept on the page while the dialog is
 *   open even once someone else has settled it, so the dialog can say who did.
 */
export const approvalsFilter = z.object({
  view: z.enum(approvalViews).catch("pending"),
  workflow: optionalText({ label: "Workflow", max: 100 }).catch(undefined),
  stage: optionalText({ label: "Stage", max: 200 }).catch(undefined),
  order: z.enum(gateOrders).optional().catch(undefined),
  instance: z.string().regex(UUID_PATTERN).optional().catch(undefined),
  open: z.string().regex(UUID_PATTERN).optional().catch(undefined),
});
export type ApprovalsFilter = z.output<typeof approvalsFilter>;

/** The order a view uses when the URL names none. */
export const defaultOrder = (view: ApprovalView): GateOrder => (view === "decided" ? "newest" : "oldest");

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Reads the page's search params; never throws. */
export function parseApprovalsFilter(params: Record<string, string | string[] | undefined>): ApprovalsFilter {
  return approvalsFilter.parse(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, first(v)])));
}
