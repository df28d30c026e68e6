import { Cron } from "croner";

/*
 * When a maintenance window's occurrences fall. A one-off window has one (its startsAt..endsAt);
 * a recurring one starts at each time its cron expression names in its time zone (croner, which
 * handles daylight-saving changes) and lasts durationMinutes.
 */

/** A recurrence as stored: a five- or six-field cron expression, an IANA time zone, a length. */
export type Recurrence = { cron: string; timezone: string; durationMinutes: number };

/** Why a cron expression or time zone cannot be used, in words for a form; undefined when it can. */
export function recurrenceProblem(cron: string, timezone: string): { field: "cron" | "timezone"; message: string } | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    return { field: "timezone", message: `${timezone} is not a time zone; use an IANA name like Europe/Berlin or UTC` };
  }
  try {
    const next = new Cron(cron, { timezone, paused: true }).nextRun();
    if (!next) return { field: "cron", message: "This schedule never fires again" };
  } catch (error) {
    return { field: "cron", message: `Not a cron expression: ${(error as Error).message.replace(/^CronPattern: /, "")}` };
  }
  return undefined;
}

/**
 * The first occurrence of `r` still running or to come at `now`: the earliest start after
 * `after` (exclusive) whose end is after `now`. `after` is where the search begins: on creation
 * `now` minus the length (so an occurrence already under way counts, and starts at once); after
 * an occurrence, its start (so the same one never comes back). Returns null when the cron never
 * fires again.
 */
export function nextOccurrence(r: Recurrence, after: Date, now: Date): { startsAt: Date; endsAt: Date } | null {
  const cron = new Cron(r.cron, { timezone: r.timezone, paused: true });
  const lengthMs = r.durationMinutes * 60_000;
  // Missed ones (a worker down for days) are passed over here, not started late.
  let from = new Date(Math.max(after.getTime(), now.getTime() - lengthMs));
  for (let i = 0; i < 1000; i++) {
    const start = cron.nextRun(from);
    if (!start) return null;
    const end = new Date(start.getTime() + lengthMs);
    if (end > now && start > after) return { startsAt: start, endsAt: end };
    from = start;
  }
  return null;
}

/** The next few starts of a recurrence after `from`, for the page's calendar. */
export function upcomingStarts(r: Recurrence, from: Date, count: number): Date[] {
  return new Cron(r.cron, { timezone: r.timezone, paused: true }).nextRuns(count, from);
}
