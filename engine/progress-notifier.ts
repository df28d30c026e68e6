import type { Logger } from "pino";
import { progressPayload } from "@/lib/step-progress";
import type { Sql } from "./prepared";
import { notifyProgress } from "./sql/notify-progress";

/**
 * Most often (ms) one worker notifies: a busy worker then sends at most 20 a second, whatever its
 * step rate, so neither PostgreSQL's notification queue nor the browsers' streams grow with the
 * steps; a page sees progress at most this much later (issue 15's budget is 1 s).
 */
export const PROGRESS_NOTIFY_GAP_MS = 50;

/**
 * Tells open instance pages that steps started or finished (lib/step-progress.ts), at a cost the
 * worker barely notices: at most one NOTIFY in flight and at most one per PROGRESS_NOTIFY_GAP_MS,
 * each carrying every instance noted since the previous one. So a busy worker sends a few a
 * second, not one per step or per batch, and an idle one sends one per claim or settle at once.
 * Never throws: a lost notification costs a page its progress until the next one (or its
 * fallback poll while the stream is down), never a step.
 */
export class ProgressNotifier {
  private pending = new Set<string>();
  private sending = false;
  /** When the last NOTIFY was sent (ms since the epoch). */
  private lastSentAt = 0;

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {}

  /** Notes that steps of these instances started or finished, in a transaction that has committed. */
  note(instanceIds: Iterable<string>): void {
    for (const id of instanceIds) this.pending.add(id);
    if (!this.sending && this.pending.size) void this.send();
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.size) {
        const wait = this.lastSentAt + PROGRESS_NOTIFY_GAP_MS - Date.now();
        // What is noted while we wait goes in this same notification.
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const ids = this.pending;
        this.pending = new Set();
        this.lastSentAt = Date.now();
        await notifyProgress(this.sql, progressPayload(ids));
      }
    } catch (error) {
      this.pending.clear();
      this.log.debug({ err: error }, "could not notify step progress");
    } finally {
      this.sending = false;
    }
  }
}
