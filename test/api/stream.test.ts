import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { notifyProgress } from "@/engine/sql/notify-progress";
import { useConnection } from "@/db/client";
import { createApiToken } from "@/lib/auth/sessions";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { progressPayload } from "@/lib/step-progress";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: streamRoute } = await import("@/app/api/v1/stream/route");
const token = await createApiToken(t.db, (await createUser(t.db, "auditor")).id, "t");

it("streams a change event for each committed change, and nothing without a session", async () => {
  expect((await streamRoute(apiRequest("/api/v1/stream"), params({}))).status).toBe(401);
  const abort = new AbortController();
  const request = new Request("http://flowgate.test/api/v1/stream", { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const response = await streamRoute(request, params({}));
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const until = async (needle: string) => {
    while (!text.includes(needle)) text += decoder.decode((await reader.read()).value);
  };
  await until("event: ready");
  const inst = await createInstance(t.db);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "watch this" }, { id: null, label: "ops@test.dev" });
  await until(inst.id);
  expect(text).toContain(`event: change\ndata: {"type" : "workflow.instance.paused", "instanceId" : "${inst.id}"}`);
  abort.abort();
  await reader.cancel();
});

it("relays a worker's step progress (flowgate_progress) as a progress event", async () => {
  const abort = new AbortController();
  const request = new Request("http://flowgate.test/api/v1/stream", { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  const reader = (await streamRoute(request, params({}))).body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const until = async (needle: string) => {
    while (!text.includes(needle)) text += decoder.decode((await reader.read()).value);
  };
  await until("event: ready");
  const payload = progressPayload([randomUUID()]);
  // What engine/progress-notifier.ts sends after a claim or settle commits.
  await notifyProgress(t.sql, payload);
  await until("event: progress");
  expect(text).toContain(`event: progress\ndata: ${payload}\n\n`);
  abort.abort();
  await reader.cancel();
});
