import { parseAsString, parseAsStringLiteral } from "nuqs/server";
import { instanceViews, type InstanceView } from "@/lib/instances/view";

export const listFilterParsers = {
  status: parseAsStringLiteral(instanceViews).withDefault("all"),
  workflow: parseAsString.withDefault(""),
  q: parseAsString.withDefault(""),
  cursor: parseAsString.withDefault(""),
};

export type ListFilters = { status: InstanceView; workflow: string; q: string; cursor: string };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/** The same defaults the client's URL state uses, read on the server for the first render. */
export function parseListFilters(params: Record<string, string | string[] | undefined>): ListFilters {
  const status = first(params.status);
  return {
    status: (instanceViews as readonly string[]).includes(status) ? (status as InstanceView) : "all",
    workflow: first(params.workflow),
    q: first(params.q),
    cursor: first(params.cursor),
  };
}

export function toQueryString(filters: ListFilters): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v && !(k === "status" && v === "all")) params.set(k, v);
  return params.toString();
}
