import type { Logger } from "pino";

/** Runs a background chore; logs its failure (unless the worker is stopping) and resolves undefined instead of throwing. */
export type Safely = <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;

/**
 * The worker's guard for work nothing awaits (timers, notifications, hooks): a failure is logged
 * as "<what> failed" and never becomes an unhandled rejection, which would end the process.
 * Failures while stopping are expected (connections closing) and not logged.
 */
export function safelyWith(log: Logger, stopping: () => boolean): Safely {
  return async (what, fn) => {
    try {
      return await fn();
    } catch (error) {
      if (!stopping()) log.error({ err: error }, `${what} failed`);
      return undefined;
    }
  };
}
