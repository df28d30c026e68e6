import { chainedRow, type HistoryEntry } from "@/lib/history";

export type ChainHead = { instanceId: string; seq: number; hash: string };

/**
 * appendHistory's rows for many instances at once (one entry per instance), for the engine's
 * batch completions to insert in one statement. Same rows and the same chain rule as
 * appendHistory (seq + 1, prevHash = the head's hash, hashed fields): the caller holds each
 * instance's row lock and read the heads under it.
 */
export function chainedRows(entries: HistoryEntry[], heads: ChainHead[], createdAt: Date): ReturnType<typeof chainedRow>[] {
  const ids = entries.map((e) => e.instanceId);
  if (new Set(ids).size !== ids.length) throw new Error("chainedRows takes one entry per instance");
  const headOf = new Map(heads.map((h) => [h.instanceId, h]));
  return entries.map((entry) => chainedRow(entry, headOf.get(entry.instanceId) ?? null, createdAt));
}
