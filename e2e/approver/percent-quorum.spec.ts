import { eq } from "drizzle-orm";
import { gateDecisions, gates, instances } from "@/db/schema";
import { actor, createGatedInstance, createUser } from "@/test/support/factories";
import { approveGate } from "@/lib/gates/decide-gate";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 14 §4: a quorum by percentage of the people eligible to decide. Five named approvers, 60 %:
// the gate needs three. Two have approved; the demo approver's approval completes it.

test("an approver sees a percent gate's quorum against the eligible approvers and completes it", async ({ page, db }) => {
  const stage = `change advisory ${Date.now()}`;
  const board = [];
  for (let i = 0; i < 4; i++) board.push(await createUser(db, "approver"));
  const { instance, gate } = await createGatedInstance(db, { stage, mode: "percent", percent: 60, approvers: ["approver@flowgate.dev", ...board.map((u) => u.email)] }, actor(await createUser(db, "operator")));
  expect(gate).toMatchObject({ mode: "percent", percent: 60, required: 3 });
  for (const member of board.slice(0, 2)) await approveGate(db, { gateId: gate.id, comment: "fine by me" }, member);

  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: stage });
  await expect(card).toContainText("Quorum 3 of 5 approvers (60 %)");
  await expect(card).toContainText("2 of 3 approvals (60 % of eligible approvers)");
  await card.screenshot({ path: "test-results/percent-quorum-card-1440.png" });

  // The compact list says it too.
  await page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Compact list" }).click();
  await expect(page.getByRole("article", { name: stage })).toContainText("quorum 3 of 5 approvers (60 %)");
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/percent-quorum-compact-390.png", fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Cards" }).click();
  // The layout comes back from the server (a refresh): click once the cards are drawn, or the click
  // lands on the compact row that the refresh then replaces, dialog and all.
  await expect(page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Cards" })).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("article", { name: stage }).getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: /Approve/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("textbox", { name: /Comment/ }).fill("Third of five: quorum reached");
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText("Gate approved: the instance moves on")).toBeVisible();

  const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
  expect(row!.status).toBe("approved");
  expect((await db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).map((d) => d.userLabel).sort()).toEqual(["approver@flowgate.dev", board[0]!.email, board[1]!.email].sort());
  expect((await db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status).toBe("running");
});
