import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { MAX_PROGRESS_IDS, parseProgress, progressPayload } from "@/lib/step-progress";

it("names each instance once, and past MAX_PROGRESS_IDS names none (every open instance page refetches) to stay under NOTIFY's 8,000 bytes", () => {
  const a = randomUUID();
  const b = randomUUID();
  expect(parseProgress(progressPayload([a, b, a]))).toEqual({ instanceIds: [a, b] });

  const most = Array.from({ length: MAX_PROGRESS_IDS }, () => randomUUID());
  expect(parseProgress(progressPayload(most)).instanceIds).toHaveLength(MAX_PROGRESS_IDS);
  expect(Buffer.byteLength(progressPayload(most))).toBeLessThan(8000);
  expect(parseProgress(progressPayload([...most, randomUUID()]))).toEqual({ instanceIds: null });
});

it("reads an unreadable payload as 'many': refetch rather than miss a change", () => {
  expect(parseProgress("not json")).toEqual({ instanceIds: null });
  expect(parseProgress(JSON.stringify({ instanceIds: [1, 2] }))).toEqual({ instanceIds: null });
});
