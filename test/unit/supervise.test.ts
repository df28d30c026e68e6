import { describe, expect, it } from "vitest";
import { Supervisor, type Running } from "@/scripts/supervise";
import { waitFor } from "../support/worker";

/** A fake service instance: `die()` ends it as a crash would; `stop()` ends it as asked. */
function fakeInstance(events: string[], name: string) {
  let end: (how: string) => void = () => {};
  const exited = new Promise<string>((resolve) => (end = resolve));
  const running: Running = {
    exited,
    stop: async () => {
      events.push(`stop ${name}`);
      end("stopped");
    },
  };
  return { running, die: () => end("SIGKILL") };
}

const quick = { initialBackoffMs: 1, maxBackoffMs: 5, healthyAfterMs: 60_000 };

describe("Supervisor", () => {
  it("restarts a service that died, logs it, and stops the last added first", async () => {
    const events: string[] = [];
    const logs: string[] = [];
    const instances: ReturnType<typeof fakeInstance>[] = [];
    const supervisor = new Supervisor({ ...quick, log: (m) => logs.push(m), onGiveUp: () => events.push("gave up") });
    await supervisor.add({ name: "db", start: async () => fakeInstance(events, "db").running });
    await supervisor.add({
      name: "worker",
      start: async () => {
        const instance = fakeInstance(events, `worker#${instances.length + 1}`);
        instances.push(instance);
        return instance.running;
      },
    });
    instances[0]!.die();
    await waitFor("the worker restarted", async () => instances.length === 2, 5_000, 5);
    await waitFor("the restart logged", async () => logs.some((l) => l === "worker restarted"), 5_000, 5);
    expect(logs.some((l) => l.startsWith("worker exited (SIGKILL)") && l.includes("restarting it in"))).toBe(true);
    await supervisor.stop();
    expect(events).toEqual(["stop worker#2", "stop db"]);
  });

  it("gives up on a service that keeps failing right after it starts", async () => {
    const logs: string[] = [];
    let gaveUp = "";
    let starts = 0;
    const supervisor = new Supervisor({ ...quick, maxQuickFailures: 3, log: (m) => logs.push(m), onGiveUp: (reason) => (gaveUp = reason) });
    const first = fakeInstance([], "dashboard");
    await supervisor.add({
      name: "dashboard",
      start: async () => {
        starts += 1;
        throw new Error("port in use");
      },
    }, first.running);
    first.die();
    await waitFor("the supervisor to give up", async () => gaveUp !== "", 5_000, 5);
    expect(gaveUp).toBe("dashboard keeps failing");
    expect(starts).toBe(2);
    expect(logs.at(-1)).toContain("giving up");
    await supervisor.stop();
  });

  it("does not restart what it was told to stop", async () => {
    const events: string[] = [];
    let starts = 0;
    const supervisor = new Supervisor({ ...quick, log: () => {}, onGiveUp: () => events.push("gave up") });
    await supervisor.add({ name: "worker", start: async () => (starts++, fakeInstance(events, "worker").running) });
    await supervisor.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(starts).toBe(1);
    expect(events).toEqual(["stop worker"]);
  });
});
