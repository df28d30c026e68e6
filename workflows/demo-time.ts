/**
 * Demo steps take seconds to tens of seconds, as real work would; FLOWGATE_DEMO_SPEED
 * divides those durations so tests and screenshots need not wait for them.
 */
export function demoDelay(ms: number): number {
  const speed = Number(process.env.FLOWGATE_DEMO_SPEED ?? "1");
  return Math.max(1, Math.round(ms / (Number.isFinite(speed) && speed > 0 ? speed : 1)));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sleeps a demo duration in slices, heartbeating between them like a long real step would. */
export async function work(ms: number, ctx: { signal: AbortSignal; heartbeat: () => Promise<void> }): Promise<void> {
  let left = demoDelay(ms);
  while (left > 0) {
    const slice = Math.min(left, 2000);
    await sleep(slice, ctx.signal);
    left -= slice;
    if (left > 0) await ctx.heartbeat();
  }
}
