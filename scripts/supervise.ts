/**
 * What `npm start` uses to keep its processes alive: a supervised service is started, watched,
 * restarted with exponential backoff when it dies on its own, and given up on (the supervisor
 * exits non-zero) when it keeps dying right after starting. Plain Node; no Flowgate imports.
 */

/** A running instance of a service: how to learn it ended, and how to end it. */
export type Running = {
  /** Resolves (never rejects) with a description of how it ended, whoever ended it. */
  exited: Promise<string>;
  /** Asks it to stop and resolves once it has; must be safe to call after it has exited. */
  stop: () => Promise<void>;
};

export type ServiceSpec = {
  name: string;
  /** Starts one instance; rejects when it cannot start (that counts as a quick failure). */
  start: () => Promise<Running>;
};

export type SupervisorOptions = {
  log: (message: string) => void;
  /** Called once when a service keeps failing: the supervisor has stopped, exit non-zero. */
  onGiveUp: (reason: string) => void;
  /** First restart delay in milliseconds, doubled per quick failure (default 500). */
  initialBackoffMs?: number;
  /** Longest restart delay in milliseconds (default 30 000). */
  maxBackoffMs?: number;
  /** A run shorter than this many milliseconds counts as a quick failure (default 30 000). */
  healthyAfterMs?: number;
  /** Quick failures in a row after which the service is given up on (default 6). */
  maxQuickFailures?: number;
};

type State = { spec: ServiceSpec; current: Running | null; timer: NodeJS.Timeout | null; quickFailures: number; starting: Promise<void> | null };

/**
 * Supervises services until `stop()`. Each service is started by `add` (awaited, so the caller
 * can start them in order: the database before what uses it); a later death is logged and the
 * service restarted after 0.5 s, 1 s, 2 s, … up to 30 s while it keeps dying within 30 s of its
 * start; after six such failures in a row the supervisor stops everything and calls `onGiveUp`.
 */
export class Supervisor {
  private readonly services: State[] = [];
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly healthyAfterMs: number;
  private readonly maxQuickFailures: number;

  constructor(private readonly options: SupervisorOptions) {
    this.initialBackoffMs = options.initialBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 30_000;
    this.maxQuickFailures = options.maxQuickFailures ?? 6;
  }

  /**
   * Supervises `spec`, starting it now unless `started` is an instance already running (the
   * database `npm start` booted before migrating). Rejects if that first start fails: there is
   * nothing to supervise yet, and the caller decides.
   */
  async add(spec: ServiceSpec, started?: Running): Promise<void> {
    const state: State = { spec, current: null, timer: null, quickFailures: 0, starting: null };
    const running = started ?? (await spec.start());
    this.services.push(state);
    if (this.stopping) {
      await running.stop();
      return;
    }
    this.watch(state, running, Date.now());
  }

  /** Stops every service, the last added first (so what uses the database stops before it). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const state of [...this.services].reverse()) {
      if (state.timer) clearTimeout(state.timer);
      // A restart in flight finishes first, so what it started is stopped too.
      await state.starting?.catch(() => {});
      await state.current?.stop();
      state.current = null;
    }
  }

  private watch(state: State, running: Running, startedAt: number): void {
    state.current = running;
    void running.exited.then((how) => {
      if (this.stopping || state.current !== running) return;
      state.current = null;
      const ranMs = Date.now() - startedAt;
      state.quickFailures = ranMs < this.healthyAfterMs ? state.quickFailures + 1 : 1;
      this.schedule(state, `${state.spec.name} exited (${how}) after ${Math.round(ranMs / 1000)} s`);
    });
  }

  private schedule(state: State, why: string): void {
    if (this.stopping) return;
    if (state.quickFailures >= this.maxQuickFailures) {
      this.options.log(`${why}; it failed ${state.quickFailures} times in a row, giving up`);
      this.options.onGiveUp(`${state.spec.name} keeps failing`);
      return;
    }
    const delay = Math.min(this.initialBackoffMs * 2 ** (state.quickFailures - 1), this.maxBackoffMs);
    this.options.log(`${why}; restarting it in ${(delay / 1000).toFixed(1)} s`);
    state.timer = setTimeout(() => {
      state.timer = null;
      state.starting = this.restart(state).finally(() => (state.starting = null));
    }, delay);
  }

  private async restart(state: State): Promise<void> {
    if (this.stopping) return;
    const startedAt = Date.now();
    try {
      const running = await state.spec.start();
      if (this.stopping) {
        await running.stop();
        return;
      }
      this.options.log(`${state.spec.name} restarted`);
      this.watch(state, running, startedAt);
    } catch (error) {
      state.quickFailures += 1;
      this.schedule(state, `${state.spec.name} did not start (${error instanceof Error ? error.message : String(error)})`);
    }
  }
}
