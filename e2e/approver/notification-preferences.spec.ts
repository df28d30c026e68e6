import { eq } from "drizzle-orm";
import { notificationPreferences, notifications, users } from "@/db/schema";
import { createGatedInstance } from "@/test/support/factories";
import { startReceiver } from "@/test/support/webhook-receiver";
import { expect, signInAs, test } from "../support/fixtures";

test("an approver turns chat on for their own webhook on /account (a refused save keeps what they chose), and the next gate they may decide reaches it", async ({ page, db }) => {
  const receiver = await startReceiver();
  const [approver] = await db.select().from(users).where(eq(users.email, "approver@flowgate.dev"));
  try {
    await signInAs(page, "approver");
    await page.getByRole("link", { name: /^Your account/ }).click();
    const form = page.getByRole("form", { name: "Notification preferences" });
    await expect(form.getByRole("checkbox", { name: "By email" })).toBeChecked();

    // Chat on without a URL: refused, with the field named, and every choice kept.
    await form.getByRole("checkbox", { name: "By email" }).uncheck();
    await form.getByRole("checkbox", { name: /^By chat/ }).check();
    await form.getByRole("checkbox", { name: "A gate is about to expire" }).uncheck();
    await form.getByRole("button", { name: "Save notification preferences" }).click();
    await expect(form.getByText("Chat is on: give the incoming webhook URL it posts to")).toBeVisible();
    await expect(form.getByRole("textbox", { name: "Chat webhook URL" })).toHaveAttribute("aria-invalid", "true");
    await expect(form.getByRole("checkbox", { name: "By email" })).not.toBeChecked();
    await expect(form.getByRole("checkbox", { name: /^By chat/ })).toBeChecked();
    await expect(form.getByRole("checkbox", { name: "A gate is about to expire" })).not.toBeChecked();
    expect(await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, approver!.id))).toEqual([]);

    const path = `/ok-approver-${Date.now()}`;
    await form.getByRole("textbox", { name: "Chat webhook URL" }).fill(receiver.url(path));
    await form.getByRole("button", { name: "Save notification preferences" }).click();
    await expect(form.getByText("Notification preferences saved")).toBeVisible();
    const [saved] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, approver!.id));
    expect(saved).toMatchObject({ email: false, chat: true, chatWebhookUrl: receiver.url(path), kinds: ["gate_opened", "gate_delegated", "gate_escalated", "gate_reminder"] });

    await page.screenshot({ path: "test-results/notifications/account-1440.png", fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "test-results/notifications/account-390.png", fullPage: true });

    // The worker tells them of a gate they may decide, in Block Kit, with the link to it.
    const { gate } = await createGatedInstance(db, { stage: "e2e notify", approvers: ["approver@flowgate.dev"] });
    await expect.poll(() => receiver.to(path).length).toBe(1);
    const message = JSON.parse(receiver.to(path)[0]!.body) as { text: string; blocks: { type: string; elements?: { url: string }[] }[] };
    expect(message.text).toMatch(/^Approval needed: "e2e notify" for /);
    expect(message.blocks.find((b) => b.type === "actions")!.elements![0]!.url).toMatch(new RegExp(`/approvals#gate-${gate.id}$`));
    // Mail is off for them: no mail notification was queued.
    expect((await db.select().from(notifications).where(eq(notifications.gateId, gate.id))).map((n) => n.transport)).toEqual(["chat"]);
  } finally {
    // Back to the defaults, so later specs' gates do not post to a receiver that is gone.
    await db.delete(notificationPreferences).where(eq(notificationPreferences.userId, approver!.id));
    await receiver.close();
  }
});
