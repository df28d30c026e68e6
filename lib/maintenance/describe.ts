import type { WindowFilter } from "@/lib/domain";

/**
 * A window's instance filter in words, for the windows page: `region=eu` for an input search,
 * `id starts with 4f2a` for an id prefix, both joined by "and". Null for a window over whole
 * workflows. Plain text: the page renders it as a text node, so React escapes it.
 */
export function describeWindowFilter(filter: WindowFilter | null | undefined): string | null {
  if (!filter) return null;
  const parts = [filter.input, filter.q ? `id starts with ${filter.q}` : undefined].filter((p): p is string => !!p);
  return parts.length ? parts.join(" and ") : null;
}
