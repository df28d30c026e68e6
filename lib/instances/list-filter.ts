import { parseAsString, parseAsStringLiteral } from "nuqs/server";
import { z } from "zod";
import { instanceStatuses } from "@/lib/domain";
import { optionalText } from "@/lib/text";
import { instanceViews } from "./view";

/*
 * The one home of the instance list's filter: which instances a list shows and in what order.
 * The dashboard's URL state, the page's first render, `GET /api/v1/instances`, saved views and
 * the CLI all read a filter through this module; `listFilterWhere` (list-filter-where.ts) turns
 * a parsed filter into SQL, so anything acting on "what the list shows" (bulk by filter) asks
 * exactly the same question. Only zod and nuqs are imported: client components use it too.
 */

/**
 * The list's orders. Each reads its rows off an index in that order (see `instanceOrders` in
 * list-filter-where.ts and test/integration/list-plans.test.ts), so paging stays fast at a
 * million instances:
 * - `changed`: last change first (the default);
 * - `started`: newest start first;
 * - `workflow`: workflow key A→Z, then last change first;
 * - `status`: status in lifecycle order (pending, running, …), then last change first.
 */
export const instanceSorts = ["changed", "started", "workflow", "status"] as const;
export type InstanceSort = (typeof instanceSorts)[number];
export const instanceSortLabels: Record<InstanceSort, string> = { changed: "Last change", started: "Started", workflow: "Workflow", status: "Status" };

/** At most this many `field=value` conditions in one input search, and this many characters. */
export const INPUT_SEARCH_MAX_CONDITIONS = 5;
export const INPUT_SEARCH_MAX_LENGTH = 200;

/** A field path of the workflow's input: identifiers joined by dots (`customer.region`). */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*){0,4}$/;

type JsonScalar = string | number | boolean | null;
/** One condition of an input search: the field's path and the values it may equal (any one of them). */
export type InputCondition = { path: string[]; values: JsonScalar[] };

/**
 * Reads an input search, `customer=acme, amount=42`: conditions separated by commas, each
 * `field=value` where the field may be a dotted path into nested objects. A value in double
 * quotes is a string exactly (`code="007"`); a bare value that reads as a number, `true`,
 * `false` or `null` matches that JSON value or the same text as a string (people type `42`
 * whether the input holds 42 or "42"); anything else is a string. Returns the conditions, or an
 * error message naming the part that is wrong.
 */
export function parseInputSearch(text: string): { conditions: InputCondition[] } | { error: string } {
  const parts = text.split(",").map((p) => p.trim()).filter(Boolean);
  if (parts.length > INPUT_SEARCH_MAX_CONDITIONS) return { error: `Search by at most ${INPUT_SEARCH_MAX_CONDITIONS} input fields at once` };
  const conditions: InputCondition[] = [];
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) return { error: `Write each condition as field=value, e.g. customer=acme ("${part}" has no =)` };
    const field = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (!FIELD_PATH.test(field)) return { error: `"${field || "(empty)"}" is not an input field name: letters, digits, _ or -, with dots for nested fields` };
    if (!raw) return { error: `Give a value for ${field}, e.g. ${field}=acme` };
    conditions.push({ path: field.split("."), values: valuesOf(raw) });
  }
  return { conditions };
}

function valuesOf(raw: string): JsonScalar[] {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return [raw.slice(1, -1)];
  if (raw === "true" || raw === "false") return [raw === "true", raw];
  if (raw === "null") return [null, raw];
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(raw) && Number.isFinite(Number(raw))) return [Number(raw), raw];
  return [raw];
}

/** The text the input search field accepts, checked with `parseInputSearch`; errors land on the `input` field. */
const inputSearch = optionalText({ label: "Input search", max: INPUT_SEARCH_MAX_LENGTH }).superRefine((value, ctx) => {
  if (!value) return;
  const parsed = parseInputSearch(value);
  if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
});

/**
 * A list filter as the boundary accepts it (query string, saved view, server action):
 * - `status`: one status, or `all`;
 * - `workflow`: a workflow key (exact);
 * - `q`: a prefix of the instance id as shown (case-insensitive);
 * - `input`: an input search, see `parseInputSearch`;
 * - `sort`: one of `instanceSorts`.
 * Bad values fail with field errors (`invalid`, a 400), never a 500. Paging (`cursor`, `limit`)
 * is not part of the filter; `listInstancesQuery` adds it.
 */
export const instanceListFilter = z.object({
  status: z.enum([...instanceStatuses, "all"]).default("all"),
  workflow: optionalText({ label: "Workflow", max: 100 }),
  q: optionalText({ label: "Search text", max: 100 }),
  input: inputSearch,
  sort: z.enum(instanceSorts).default("changed"),
});
export type InstanceListFilter = z.output<typeof instanceListFilter>;

/** The dashboard's URL state for the list (nuqs): the same keys and defaults as `instanceListFilter`. */
export const listFilterParsers = {
  status: parseAsStringLiteral(instanceViews).withDefault("all"),
  workflow: parseAsString.withDefault(""),
  q: parseAsString.withDefault(""),
  input: parseAsString.withDefault(""),
  sort: parseAsStringLiteral(instanceSorts).withDefault("changed"),
  cursor: parseAsString.withDefault(""),
};

/** The list's URL state: the filter with every key present ("" for unset) and the page's cursor. */
export type ListFilters = {
  status: (typeof instanceViews)[number];
  workflow: string;
  q: string;
  input: string;
  sort: InstanceSort;
  cursor: string;
};

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/**
 * The same defaults the client's URL state uses, read on the server for the first render: an
 * unknown status or sort falls back to its default, as nuqs does in the browser. Text fields are
 * passed on as typed; `instanceListFilter` judges them when the list is asked.
 */
export function parseListFilters(params: Record<string, string | string[] | undefined>): ListFilters {
  const status = first(params.status);
  const sort = first(params.sort);
  return {
    status: (instanceViews as readonly string[]).includes(status) ? (status as ListFilters["status"]) : "all",
    workflow: first(params.workflow),
    q: first(params.q),
    input: first(params.input),
    sort: (instanceSorts as readonly string[]).includes(sort) ? (sort as InstanceSort) : "changed",
    cursor: first(params.cursor),
  };
}

/** The URL query string of a list state, leaving out defaults, so equal states give equal strings. */
export function toQueryString(filters: Partial<Record<keyof ListFilters, string>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v && !(k === "status" && v === "all") && !(k === "sort" && v === "changed")) params.set(k, v);
  return params.toString();
}
