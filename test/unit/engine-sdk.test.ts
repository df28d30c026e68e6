import { describe, expect, it } from "vitest";
import { defineWorkflow, STEP_KEY_PATTERN } from "@/lib/workflows/sdk";
import { textList, uuidList } from "@/db/sql-arrays";

const noop = () => undefined;

describe("defineWorkflow step keys", () => {
  it.each(["a", "deploy-production", "transform_orders", "s12", "A".repeat(63)])("accepts %j", (key) => {
    expect(() => defineWorkflow({ key: "wf", version: 1, name: "W", steps: { [key]: { run: noop } } })).not.toThrow();
  });

  // Step keys end up in history actors (`step:<key>`), URLs, logs and SQL arrays: a comma, a quote,
  // a brace or a space would each mean something else in one of them.
  it.each(["a,b", 'say"hi', "with space", "{x}", "1st", "", "-a", "ü", "A".repeat(64)])("refuses %j with a message naming the workflow, the key and the rule", (key) => {
    expect(() => defineWorkflow({ key: "wf", version: 1, name: "W", steps: { [key]: { run: noop } } })).toThrow(
      `wf: step key ${JSON.stringify(key)} is not allowed: use a letter, then up to 62 letters, digits, "-" or "_" (${STEP_KEY_PATTERN})`,
    );
  });
});

describe("defineWorkflow gate reminders", () => {
  const noop = () => undefined;
  const withEvery = (notifyEveryMs: number) => () => defineWorkflow({ key: "wf", version: 1, name: "W", steps: { a: { gate: { stage: "s", notifyEveryMs }, run: noop } } });
  it("refuses a reminder interval under a minute or not whole (seconds typed for milliseconds), naming the step", () => {
    expect(withEvery(30)).toThrow('wf: step "a": gate.notifyEveryMs must be a whole number of milliseconds, at least 60000');
    expect(withEvery(90_000.5)).toThrow("gate.notifyEveryMs");
    expect(withEvery(60_000)).not.toThrow();
  });
});

describe("postgres array literals", () => {
  it("quotes and escapes each text element, so commas, quotes, braces and backslashes stay inside it", () => {
    expect(textList(["a,b", 'x"y', "back\\slash", "{}", "NULL", ""])).toBe('{"a,b","x\\"y","back\\\\slash","{}","NULL",""}');
    expect(textList([])).toBe("{}");
  });

  it("refuses anything but uuids in a uuid list", () => {
    expect(uuidList(["0b6f7c1e-0000-4000-8000-000000000001"])).toBe("{0b6f7c1e-0000-4000-8000-000000000001}");
    expect(() => uuidList(["x,y"])).toThrow("not a uuid");
  });
});
