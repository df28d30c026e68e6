import "server-only";
import { and, asc, eq, gt, lt, or, sql, type SQL } from "drizzle-orm";
import { instances } from "@/db/schema";
import { parseInputSearch, type InputCondition, type InstanceListFilter, type InstanceSort } from "./list-filter";

/*
 * A parsed list filter (list-filter.ts) as SQL: which instances match, and in what order they are
 * read. `listInstances` pages through it; bulk by filter acts on exactly the same rows. Every
 * order here is served by an index (db/schema.ts, `instances_*_idx`): the plan test
 * (test/integration/list-plans.test.ts) asks PostgreSQL for each sort, with and without a status.
 */

/**
 * Instances whose id starts with `prefix` (case-insensitive, as the id is shown). A prefix of the
 * id's canonical text is a range of UUIDs, so it is asked as one (`id between 4f2a9c1e-0000-… and
 * 4f2a9c1e-ffff-…`), which the primary key serves; `id::text ilike '4f2a9c1e%'` read every
 * instance (issue 15: 1 s at a million). Anything else cannot match an id and matches nothing.
 */
function idPrefix(prefix: string): SQL {
  const typed = prefix.toLowerCase();
  const canonical = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  const fits = typed.length <= canonical.length && [...typed].every((c, i) => (canonical[i] === "-" ? c === "-" : /[0-9a-f]/.test(c)));
  if (!fits) return sql`false`;
  const hex = typed.replaceAll("-", "");
  const asUuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return sql`${instances.id} between ${asUuid(hex.padEnd(32, "0"))}::uuid and ${asUuid(hex.padEnd(32, "f"))}::uuid`;
}

/** `{a: {b: value}}` for the path `a.b`: the document `@>` asks the input to contain. */
function nested(path: string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/**
 * Input conditions as jsonb containment (`input @> '{"customer":"acme"}'`), which the GIN index
 * `instances_input_idx` (jsonb_path_ops) serves: each condition must hold, by any of its values.
 */
function inputContains(conditions: InputCondition[]): SQL | undefined {
  if (!conditions.length) return undefined;
  return and(
    ...conditions.map((c) => or(...c.values.map((v) => sql`${instances.input} @> ${JSON.stringify(nested(c.path, v))}::jsonb`))),
  );
}

/**
 * The WHERE conditions of a parsed filter (sort and paging aside), for `and(...)`. Undefined
 * entries mean "no condition". The input search was validated by `instanceListFilter`; text that
 * would not parse here matches nothing rather than everything.
 */
export function listFilterWhere(filter: Omit<InstanceListFilter, "sort">): (SQL | undefined)[] {
  const input = filter.input ? parseInputSearch(filter.input) : { conditions: [] };
  return [
    filter.status === "all" ? undefined : eq(instances.status, filter.status),
    filter.workflow ? eq(instances.workflowKey, filter.workflow) : undefined,
    filter.q ? idPrefix(filter.q) : undefined,
    "error" in input ? sql`false` : inputContains(input.conditions),
  ];
}

/**
 * Each sort's ORDER BY. Spelled `nulls last` where descending to match the indexes (drizzle
 * declares `.desc()` index columns NULLS LAST, while `desc()` in ORDER BY means nulls first);
 * otherwise PostgreSQL cannot walk the index and sorts every instance instead (issue 15: 946 ms
 * at a million rows).
 */
export const instanceOrders: Record<InstanceSort, SQL[]> = {
  changed: [sql`${instances.updatedAt} desc nulls last`, sql`${instances.id} desc nulls last`],
  started: [sql`${instances.createdAt} desc nulls last`, sql`${instances.id} desc nulls last`],
  workflow: [asc(instances.workflowKey), sql`${instances.updatedAt} desc nulls last`, sql`${instances.id} desc nulls last`],
  status: [asc(instances.status), sql`${instances.updatedAt} desc nulls last`, sql`${instances.id} desc nulls last`],
};

/** Where a page ends, in the sort's terms: the leading key (workflow or status) if any, the time (exact, microseconds) and the id. */
export type ListPosition = { lead: string | null; time: string; id: string };

/** The column whose time each sort pages on: `created_at` (microseconds) or `updated_at` (milliseconds). */
export const sortTime = (sort: InstanceSort) => (sort === "started" ? instances.createdAt : instances.updatedAt);
/** The leading column of the sorts that group first (workflow A→Z, status in lifecycle order). */
export const sortLead = (sort: InstanceSort) => (sort === "workflow" ? instances.workflowKey : sort === "status" ? instances.status : null);

/**
 * Rows after `after` in `sort`'s order (keyset pagination: no page skips or repeats a row while
 * others change). The time is compared as the exact text PostgreSQL gave (`created_at` keeps
 * microseconds a JS Date would drop). For grouped sorts the redundant `lead >= value` lets the
 * index scan start at the group instead of filtering from the first row.
 */
export function after(sort: InstanceSort, position: ListPosition): SQL | undefined {
  const time = sortTime(sort);
  const at = sql`${position.time}::timestamptz`;
  const within = or(lt(time, at), and(eq(time, at), lt(instances.id, position.id)));
  const lead = sortLead(sort);
  if (!lead) return within;
  const value = lead === instances.status ? sql`${position.lead}::instance_status` : sql`${position.lead}`;
  return and(sql`${lead} >= ${value}`, or(gt(lead, value), and(eq(lead, value), within)));
}
