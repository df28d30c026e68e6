import { eq } from "drizzle-orm";
import { notificationChannels, notifications } from "@/db/schema";
import { createInstance } from "@/test/support/factories";
import { startReceiver } from "@/test/support/webhook-receiver";
import { expect, signInAs, test } from "../support/fixtures";

test("an admin adds a chat channel for pauses and resumes, pauses an instance, and finds the message at the receiver and in the notification log", async ({ page, db }) => {
  const receiver = await startReceiver();
  const path = `/ok-channel-${Date.now()}`;
  try {
    await signInAs(page, "admin");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Notifications" }).click();
    await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();

    // No name: refused with the field named; the URL typed stays.
    const add = page.getByRole("form", { name: "Add a chat channel" });
    await add.getByRole("textbox", { name: "Incoming webhook URL" }).fill(receiver.url(path));
    await add.getByRole("button", { name: "Add channel" }).click();
    await expect(add.getByText("Give the channel a name")).toBeVisible();
    await expect(add.getByRole("textbox", { name: "Incoming webhook URL" })).toHaveValue(receiver.url(path));

    await add.getByRole("textbox", { name: "Name" }).fill("#e2e-ops");
    await expect(add.getByRole("checkbox", { name: "Instance paused" })).toBeChecked();
    await add.getByRole("button", { name: "Add channel" }).click();
    await expect(add.getByText("Added the channel “#e2e-ops”")).toBeVisible();
    await expect(page.getByRole("list", { name: "Channels" })).toContainText("#e2e-ops");
    await expect(page.getByRole("list", { name: "Channels" })).toContainText("Instance paused, Instance resumed");
    const [channel] = await db.select().from(notificationChannels).where(eq(notificationChannels.name, "#e2e-ops"));
    expect(channel).toMatchObject({ url: receiver.url(path), kinds: ["instance_paused", "instance_resumed"], active: true });

    const inst = await createInstance(db, { status: "running" });
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Channel drill");
    await dialog.getByRole("button", { name: "Pause instance" }).click();
    await expect(dialog).toBeHidden();

    await expect.poll(() => receiver.to(path).length).toBe(1);
    const message = JSON.parse(receiver.to(path)[0]!.body) as { text: string; blocks: { text?: { text: string } }[] };
    expect(message.text).toBe(`Paused: ${inst.workflowKey} ${inst.id.slice(0, 8)} by admin@flowgate.dev`);
    expect(message.blocks[0]!.text!.text).toContain("Channel drill");

    const [sent] = await db.select().from(notifications).where(eq(notifications.channelId, channel!.id));
    await page.goto("/admin/notifications");
    const row = page.getByRole("row", { name: new RegExp(`Paused: ${inst.workflowKey}`) });
    await expect(async () => {
      await page.reload();
      await expect(row).toContainText("sent", { timeout: 1_000 });
    }).toPass();
    await expect(row.getByRole("list", { name: `Attempts of ${sent!.id}` })).toContainText("#1 ok");

    await page.screenshot({ path: "test-results/notifications/admin-1440.png", fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "test-results/notifications/admin-390.png", fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: "test-results/notifications/admin-390-dark.png", fullPage: true });

    // Deleting asks first: the first click deletes nothing.
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.getByRole("button", { name: "Delete #e2e-ops" }).click();
    const confirm = page.getByRole("group", { name: "Confirm: Delete #e2e-ops" });
    await expect(confirm).toContainText("Delete #e2e-ops and its notification log?");
    expect(await db.select().from(notificationChannels).where(eq(notificationChannels.id, channel!.id))).toHaveLength(1);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(confirm).toBeHidden();
    await page.getByRole("button", { name: "Delete #e2e-ops" }).click();
    await page.getByRole("group", { name: "Confirm: Delete #e2e-ops" }).getByRole("button", { name: "Yes, delete" }).click();
    await expect(page.getByRole("list", { name: "Channels" })).toHaveCount(0);
    expect(await db.select().from(notificationChannels).where(eq(notificationChannels.id, channel!.id))).toEqual([]);
  } finally {
    await db.delete(notificationChannels).where(eq(notificationChannels.name, "#e2e-ops"));
    await receiver.close();
  }
});
