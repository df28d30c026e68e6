import type { Logger } from "pino";
import { progressPayload } from "@/lib/step-progress";
import type { Sql } from "./prepared";
import { notifyProgress } from "./sql/notify-progress";

/**
 * Tells open instance pages that steps started or finished (lib/step-progress.ts), at a cost the
 * worker barely notices: at most one NOTIFY in flight, carrying every instance noted since the
 * previous one. So a busy worker sends one per round trip, not one per step or per batch, and an
 * idle one sends one per claim or settle. Never throws: a lost notification costs a page its
 * progress until the next one (or its fallback poll while the stream is down), never a step.
 */
export class ProgressNotifier {
  private pending = new Set<string>();
  private sending = false;

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
        const ids = this.pending;
        this.pending = new Set();
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
