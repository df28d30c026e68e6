import { eq } from "drizzle-orm";
import { gates, instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("a gate on a paused instance says who holds it, and approving says it moves on only when resumed", async ({ page, db }) => {
  const { instance, gate } = await createGatedInstance(db, { stage: "paused gate e2e" });
  await pauseInstance(db, { instanceId: instance.id, reason: "Vendor outage: hold all deploys" }, { id: null, label: "night@ops.test" });
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: "paused gate e2e" });
  const hold = card.getByRole("status", { name: "Instance paused" });
  await expect(hold).toContainText("Paused by night@ops.test");
  await expect(hold).toContainText("Vendor outage: hold all deploys");

  await card.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: /Approve/ });
  await expect(dialog).toContainText("paused by night@ops.test");
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("Gate approved: the instance moves on when it is resumed (paused by night@ops.test)")).toBeVisible();
  await expect(page.getByText("Gate approved: the instance moves on", { exact: true })).toHaveCount(0);

  const [g] = await db.select().from(gates).where(eq(gates.id, gate.id));
  expect(g!.status).toBe("approved");
  const [inst] = await db.select().from(instances).where(eq(instances.id, instance.id));
  expect(inst!.status).toBe("paused");
});
