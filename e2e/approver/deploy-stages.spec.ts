import { and, eq } from "drizzle-orm";
import { gates } from "@/db/schema";
import { startInstance } from "@/lib/instances/start-instance";
import { catalog } from "@/workflows/catalog";
import { expect, signInAs, test } from "../support/fixtures";

test("an approver signs off staging and the deploy moves on to production, which waits for two approvals", async ({ page, db }) => {
  test.setTimeout(120_000);
  const started = await startInstance(db, { workflow: "deploy-pipeline", input: { service: "e2e-service" } }, { id: null, label: "release-bot@flowgate.dev" }, { catalog });
  await signInAs(page, "approver");
  await page.goto(`/instances/${started.id}`);
  // The worker builds, tests and deploys to staging, then the instance waits at the gate.
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Waiting", { timeout: 60_000 });
  await expect(page.getByRole("list", { name: "Approval stages" })).toContainText(/staging approval\s*· pending · 0 of 1 approval/);

  await page.goto("/approvals");
  const card = page.getByRole("article", { name: "staging approval" }).filter({ has: page.getByRole("link", { name: `Open instance ${started.id}` }) });
  await expect(card).toContainText("service");
  await card.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: /Approve/ });
  await dialog.getByRole("textbox", { name: "Comment" }).fill("Staging looks healthy");
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("Gate approved: the instance moves on")).toBeVisible();

  await page.goto(`/instances/${started.id}`);
  const stages = page.getByRole("list", { name: "Approval stages" });
  await expect(stages).toContainText("Approved by approver@flowgate.dev", { timeout: 30_000 });
  // Deploy to production runs, then the production gate opens and needs two people.
  await expect(stages).toContainText(/production approval\s*· pending · 0 of 2 approvals/, { timeout: 60_000 });
  const [production] = await db.select().from(gates).where(and(eq(gates.instanceId, started.id), eq(gates.stage, "production approval")));
  expect(production).toMatchObject({ status: "pending", required: 2, mode: "n_of_m" });
});
