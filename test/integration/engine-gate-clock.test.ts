import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { gates, instances } from "@/db/schema";
import { freshDatabase } from "../support/db";
import { createGatedInstance } from "../support/factories";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);

it("a running worker expires an undecided gate on its clock and fails the instance", async () => {
  const { instance, gate } = await createGatedInstance(t.db, { stage: "nobody answered", expiresAfterMs: 300 });
  const worker = await spawnWorker(t.url);
  const expired = await waitFor("gate expired", async () => {
    const [row] = await t.db.select().from(gates).where(eq(gates.id, gate.id));
    return row?.status === "expired" ? row : undefined;
  });
  expect(expired.decidedAt).not.toBeNull();
  const [inst] = await t.db.select().from(instances).where(eq(instances.id, instance.id));
  expect(inst).toMatchObject({ status: "failed", error: 'Gate "nobody answered" expired without a decision' });
  await worker.stop();
});
