import "server-only";
import { and, asc, desc, eq, gt, inArray, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { gateDecisions, gateDelegations, gateStatuses, gates, instances, roles, users, workflowDefinitions, type Gate, type GateDecision, type GateDelegation } from "@/db/schema";
import { can, type SessionUser } from "@/lib/auth/permissions";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { UUID_PATTERN } from "@/lib/domain";
import { parseInput } from "@/lib/validate";
import type { GateOrder } from "./review-filter";
import { eligibleCounts } from "./eligible";
import { mayDecide, mayReceiveDelegation, percentQuorumLabel, progressLabel } from "./rules";

export const listGatesQuery = z.object({
  status: z.preprocess((v) => (v === "" ? undefined : v), z.enum(gateStatuses).optional()),
  cursor: z.string().max(200).optional(),
  limit: limitSchema,
});

// Any UUID PostgreSQL accepts (UUID_PATTERN), not only RFC 9562 versions: ids may come from other systems.
const cursorSchema = z.tuple([z.string().datetime(), z.string().regex(UUID_PATTERN)]);

async function withDecisions<G extends Pick<Gate, "id">>(db: DbOrTx, rows: G[]) {
  const ids = rows.map((g) => g.id);
  if (!ids.length) return rows.map((g) => ({ ...g, decisions: [], delegations: [] }));
  const [decisions, delegations] = await Promise.all([
    db.select().from(gateDecisions).where(inArray(gateDecisions.gateId, ids)).orderBy(asc(gateDecisions.createdAt)),
    db.select().from(gateDelegations).where(inArray(gateDelegations.gateId, ids)).orderBy(asc(gateDelegations.createdAt)),
  ]);
  return rows.map((g) => ({ ...g, decisions: decisions.filter((d) => d.gateId === g.id), delegations: delegations.filter((d) => d.gateId === g.id) }));
}

/** Every gate, oldest request first, keyset-paginated; for the API and auditors. */
export async function listGates(db: DbOrTx, raw: Record<string, unknown>) {
  const query = parseInput(listGatesQuery, raw);
  const after = decodeCursor(cursorSchema, query.cursor);
  const where: (SQL | undefined)[] = [
    query.status ? eq(gates.status, query.status) : undefined,
    after ? or(gt(gates.requestedAt, new Date(after[0])), and(eq(gates.requestedAt, new Date(after[0])), gt(gates.id, after[1]))) : undefined,
  ];
  const rows = await db.select().from(gates).where(and(...where)).orderBy(asc(gates.requestedAt), asc(gates.id)).limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const items = (await withDecisions(db, page)).map((g) => ({ ...g, progress: progressLabel(g, g.decisions) }));
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.requestedAt.toISOString(), last.id]) : null };
}

const inboxColumns = {
  gate: gates,
  workflowName: workflowDefinitions.name,
  instanceStatus: instances.status,
  // A reviewer should know the instance is held: an approval then takes effect only on resume.
  pausedByLabel: instances.pausedByLabel,
  pausedAt: instances.pausedAt,
  pauseReason: instances.pauseReason,
  startedById: instances.startedById,
  startedByLabel: instances.startedByLabel,
  context: instances.context,
  input: instances.input,
};

/** Gates with what a reviewer needs beside them: the workflow, the instance's context, decisions so far. */
async function gatesForReview(db: DbOrTx, where: SQL, order: SQL[], limit: number) {
  const rows = await db
    .select(inboxColumns)
    .from(gates)
    .innerJoin(instances, eq(instances.id, gates.instanceId))
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(where)
    .orderBy(...order)
    .limit(limit);
  const enriched = await withDecisions(db, rows.map((r) => ({ ...r, id: r.gate.id })));
  // A percent gate's rule is shown against the people eligible now, as its next decision will count them.
  const percentGates = enriched.filter((r) => r.gate.mode === "percent");
  const eligible = new Map((await eligibleCounts(db, percentGates)).map((n, i) => [percentGates[i]!.gate.id, n]));
  return enriched.map((r) => ({ ...r, progress: progressLabel(r.gate, r.decisions), quorum: eligible.has(r.gate.id) ? percentQuorumLabel(r.gate, eligible.get(r.gate.id)!) : null }));
}

/** The inbox and its count look at this many pending gates at most, in request order. */
const INBOX_MAX = 500;
const pending = () => eq(gates.status, "pending");
const oldestFirst = () => [asc(gates.requestedAt), asc(gates.id)];

/** What the Approvals page narrows a list by (lib/gates/review-filter.ts): a workflow, a stage, and the order. */
export type GateReviewFilter = { workflow?: string; stage?: string; order?: GateOrder };
const narrowed = (where: SQL, filter: GateReviewFilter) =>
  and(where, filter.workflow ? eq(instances.workflowKey, filter.workflow) : undefined, filter.stage ? eq(gates.stage, filter.stage) : undefined)!;
/** Request order (pending gates): the queue's oldest first unless `newest`; served by gates_status_requested_idx either way. */
const byRequest = (order: GateOrder | undefined) => (order === "newest" ? [desc(gates.requestedAt), desc(gates.id)] : oldestFirst());

type Decidable = { gate: Gate; decisions: GateDecision[]; delegations: GateDelegation[]; startedById: string | null };
const decidableBy = (user: SessionUser) => (r: Decidable) => mayDecide(user, { gate: r.gate, decisions: r.decisions, delegations: r.delegations, startedById: r.startedById }).ok;

/** The inbox shows at most this many gates at once, oldest first (or newest): a page a person can work through. */
export const INBOX_PAGE = 50;
/** The nav counts gates waiting for this user up to this many, then shows "99+". */
export const INBOX_COUNT_CAP = 99;
/** Pending gates read per round trip while looking for the ones this user may decide. */
const SCAN_BATCH = 100;

/**
 * Up to `want` pending gates (in the filter's request order) that `user` may decide now, by
 * mayDecide (lib/gates/rules.ts, the one home of that rule), reading pending gates in batches of
 * SCAN_BATCH along gates_status_requested_idx and never more than INBOX_MAX of them. Each batch
 * carries only what the rule reads (the gate, its instance's starter, decisions, delegations),
 * not the review context. Returns the decidable gates' ids in order.
 * Issue 15: the inbox and the nav's count read 500 gates with their instances' context and input
 * on every render; at thousands of pending gates the first batch usually settles it.
 */
async function decidablePending(db: DbOrTx, user: SessionUser, filter: GateReviewFilter, want: number): Promise<string[]> {
  const found: string[] = [];
  const newest = filter.order === "newest";
  let after: { at: Date; id: string } | null = null;
  for (let scanned = 0; scanned < INBOX_MAX && found.length < want; ) {
    const keyset: SQL | undefined = after
      ? newest
        ? or(lt(gates.requestedAt, after.at), and(eq(gates.requestedAt, after.at), lt(gates.id, after.id)))
        : or(gt(gates.requestedAt, after.at), and(eq(gates.requestedAt, after.at), gt(gates.id, after.id)))
      : undefined;
    const rows = await db
      .select({ gate: gates, startedById: instances.startedById })
      .from(gates)
      .innerJoin(instances, eq(instances.id, gates.instanceId))
      .where(and(narrowed(pending(), filter), keyset))
      .orderBy(...byRequest(filter.order))
      .limit(Math.min(SCAN_BATCH, INBOX_MAX - scanned));
    const enriched = await withDecisions(db, rows.map((r) => ({ ...r, id: r.gate.id })));
    for (const r of enriched) if (found.length < want && decidableBy(user)(r)) found.push(r.gate.id);
    scanned += rows.length;
    const last = rows.at(-1);
    if (!last || rows.length < SCAN_BATCH) break;
    after = { at: last.gate.requestedAt, id: last.gate.id };
  }
  return found;
}

/**
 * Pending gates this user may decide now, oldest first (or as `filter.order` says), at most
 * INBOX_PAGE of them, with their review context: the approvals inbox. Deciding one brings the next.
 */
export async function inboxFor(db: DbOrTx, user: SessionUser, filter: GateReviewFilter = {}) {
  const ids = await decidablePending(db, user, filter, INBOX_PAGE);
  if (!ids.length) return [];
  const rows = await gatesForReview(db, inArray(gates.id, ids), byRequest(filter.order), ids.length);
  // Re-checked on the rows read with their context: a decision committed between the two reads drops the gate.
  return rows.filter(decidableBy(user));
}

/**
 * How many gates wait for this user, up to INBOX_COUNT_CAP + 1 (`options.cap` for tests): the
 * count beside "Approvals" on every page, shown "99+" past the cap. The same rule as the inbox.
 */
export async function inboxCountFor(db: DbOrTx, user: SessionUser, options: { cap?: number } = {}): Promise<number> {
  return (await decidablePending(db, user, {}, (options.cap ?? INBOX_COUNT_CAP) + 1)).length;
}
export type InboxItem = Awaited<ReturnType<typeof inboxFor>>[number];

export type DelegateOption = { email: string; name: string };

/**
 * Whom `user` may pass their turn to, for each of these gates (inbox items): the people
 * mayReceiveDelegation accepts, the same rule delegateGate enforces, so the Delegate menu offers
 * no one the use case would refuse. Returns gate id → options sorted by email; an empty list
 * means the gate has no one to delegate to (every eligible person already holds a turn).
 */
export async function delegateCandidatesFor(db: DbOrTx, user: SessionUser, items: Decidable[]): Promise<Map<string, DelegateOption[]>> {
  const decidingRoles = roles.filter((role) => can({ ...user, role }, "gates:decide"));
  const people = items.length ? await db.select({ id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups }).from(users).where(inArray(users.role, decidingRoles)).orderBy(asc(users.email)) : [];
  return new Map(
    items.map((item) => {
      const facts = { gate: item.gate, decisions: item.decisions, delegations: item.delegations, startedById: item.startedById };
      return [item.gate.id, people.filter((p) => mayReceiveDelegation(facts, user, p).ok).map(({ email, name }) => ({ email, name }))];
    }),
  );
}

/**
 * Every pending gate, oldest first, with its review context: what the Approvals page shows people
 * who read approvals but do not decide them (operators, auditors), read-only.
 */
export function pendingForReview(db: DbOrTx, filter: GateReviewFilter = {}) {
  return gatesForReview(db, narrowed(pending(), filter), byRequest(filter.order), INBOX_MAX);
}

/** One gate with its review context, whatever its state, or undefined: the gate an open dialog is about. */
export async function gateForReview(db: DbOrTx, gateId: string) {
  const [item] = await gatesForReview(db, eq(gates.id, gateId), oldestFirst(), 1);
  return item;
}

/**
 * The workflows and stages gates exist for, to filter the Approvals page by (names sorted).
 * Stages come from the workflow definitions (every version), not from the gates: a gate's stage
 * is its step's `gate.stage` (lib/gates/request-gate.ts), so the definitions name every stage a
 * gate can have, and reading them costs the same at ten gates or ten million (a DISTINCT over
 * `gates` read the whole table on every render of the page; issue 15 §3).
 */
export async function gateFilterOptions(db: DbOrTx) {
  const [workflows, stages] = await Promise.all([
    db.selectDistinct({ key: workflowDefinitions.key, name: workflowDefinitions.name }).from(workflowDefinitions).orderBy(workflowDefinitions.key),
    db.execute<{ stage: string }>(sql`select distinct step -> 'gate' ->> 'stage' as stage
      from ${workflowDefinitions}, jsonb_array_elements(${workflowDefinitions.steps}) as step
      where step -> 'gate' ->> 'stage' is not null order by 1 limit 200`),
  ]);
  return { workflows, stages: stages.map((s) => s.stage) };
}

/** One instance's gates, in the order they were requested, with their review context: the instance page's "Its approvals". */
export function instanceGatesForReview(db: DbOrTx, instanceId: string) {
  return gatesForReview(db, eq(gates.instanceId, instanceId), oldestFirst(), INBOX_MAX);
}

/** Which of these gates `user` may decide now (the inbox's rule), by gate id. */
export function decidableIds(user: SessionUser, items: Decidable[]): Set<string> {
  return new Set(items.filter((i) => i.gate.status === "pending").filter(decidableBy(user)).map((i) => i.gate.id));
}

/** Recently settled gates, newest first, for the inbox's Decided view. */
export function recentlyDecided(db: DbOrTx, limit = 50, filter: GateReviewFilter = {}) {
  const order = filter.order === "oldest" ? [asc(gates.decidedAt), asc(gates.id)] : [desc(gates.decidedAt), desc(gates.id)];
  return gatesForReview(db, narrowed(ne(gates.status, "pending"), filter), order, limit);
}

/** An instance's gates in the order they were requested: its approval pipeline. */
export async function gatesForInstance(db: DbOrTx, instanceId: string) {
  const rows = await db.select().from(gates).where(eq(gates.instanceId, instanceId)).orderBy(asc(gates.requestedAt));
  return (await withDecisions(db, rows)).map((g) => ({ ...g, progress: progressLabel(g, g.decisions) }));
}
export type InstanceGate = Awaited<ReturnType<typeof gatesForInstance>>[number];
