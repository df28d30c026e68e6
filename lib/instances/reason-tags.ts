import type { ReasonCategory } from "@/db/schema";

/**
 * The optional category and ticket link, as they go into a history row's details: only when
 * given, so rows without them hash exactly as before they existed.
 */
export function reasonTags(input: { category?: ReasonCategory | null; ticketUrl?: string | null }): { category?: ReasonCategory; ticketUrl?: string } {
  return { ...(input.category ? { category: input.category } : {}), ...(input.ticketUrl ? { ticketUrl: input.ticketUrl } : {}) };
}
