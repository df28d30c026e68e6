import pino from "pino";
import { describe, expect, it } from "vitest";
import { capturingLogger, StepLogBuffer } from "@/engine/step-logs";

describe("a step's log lines (engine/step-logs.ts)", () => {
  it("keeps info and above whatever the process's level, with the message and its fields", () => {
    const buffer = new StepLogBuffer();
    const log = capturingLogger(pino({ level: "silent" }), buffer);
    log.debug("not kept");
    log.info({ batch: 42 }, "loading %s rows", "3");
    log.warn("plain %d", 7);
    log.error(new Error("boom"));
    expect(buffer.lines.map(({ level, msg, fields }) => ({ level, msg, fields }))).toEqual([
      { level: "info", msg: "loading 3 rows", fields: '{"batch":42}' },
      { level: "warn", msg: "plain 7", fields: undefined },
      { level: "error", msg: "boom", fields: '{"err":{"type":"Error","message":"boom"}}' },
    ]);
    // Everything else is pino's own.
    expect(log.isLevelEnabled("info")).toBe(false);
  });

  it("is bounded: the newest 100 lines, messages cut to 1000 characters, text jsonb can store", () => {
    const buffer = new StepLogBuffer();
    const log = capturingLogger(pino({ level: "silent" }), buffer);
    for (let i = 1; i <= 150; i++) log.info(`line ${i}`);
    log.info("x".repeat(5000));
    log.info({ bad: "a\u0000b \ud800" }, "nul \u0000 here");
    expect(buffer.lines).toHaveLength(100);
    expect(buffer.dropped).toBe(52);
    expect(buffer.lines[0]!.msg).toBe("line 53");
    expect(buffer.lines.at(-2)!.msg).toHaveLength(1000);
    expect(buffer.lines.at(-1)).toMatchObject({ msg: "nul \ufffd here", fields: '{"bad":"a\\ufffdb \\ufffd"}' });
  });
});
