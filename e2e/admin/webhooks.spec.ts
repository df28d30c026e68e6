import { like } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { webhookSubscriptions } from "@/db/schema";
import { createInstance } from "@/test/support/factories";
import { startReceiver } from "@/test/support/webhook-receiver";
import { expect, signInAs, test } from "../support/fixtures";

test("an admin subscribes a local receiver to pauses, pauses an instance, and sees the signed delivery in the webhook's log", async ({ page, db }) => {
  const receiver = await startReceiver();
  try {
    const path = `/ok-e2e-${Date.now()}`;
    await signInAs(page, "admin");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Webhooks" }).click();
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();

    const create = page.getByRole("form", { name: "Create a webhook" });
    await create.getByLabel("URL").fill(receiver.url(path));
    await create.getByLabel("Description").fill("e2e receiver");
    await create.getByRole("group", { name: "Event types" }).getByLabel("workflow.instance.paused").check();
    await create.getByRole("button", { name: "Create webhook" }).click();
    const secret = (await page.getByLabel("Signing secret").textContent())!;
    expect(secret).toMatch(/^whsec_/);

    const inst = await createInstance(db, { status: "running" });
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Webhook drill");
    await dialog.getByRole("button", { name: "Pause instance" }).click();
    await expect(dialog).toBeHidden();

    // The worker delivers it: the receiver gets the pause, signed with the secret shown at creation.
    await expect.poll(() => receiver.to(path).length).toBe(1);
    const [request] = receiver.to(path);
    const body = new Webhook(secret).verify(request!.body, request!.headers) as { type: string; data: { instanceId: string } };
    expect(body).toMatchObject({ type: "workflow.instance.paused", data: { instanceId: inst.id } });

    await page.goto("/admin/webhooks");
    await page.getByRole("link", { name: receiver.url(path) }).click();
    await expect(page.getByRole("heading", { name: "Webhook", level: 1, exact: true })).toBeVisible();
    const webhookId = request!.headers["webhook-id"]!;
    const row = page.getByRole("row", { name: new RegExp(webhookId) });
    await expect(async () => {
      await page.reload();
      await expect(row).toContainText("delivered", { timeout: 1_000 });
    }).toPass();
    await expect(row.getByRole("list", { name: `Attempts of ${webhookId}` })).toContainText("#1 204");

    // Replay: the same webhook-id arrives again, and the log shows the replay.
    await row.getByRole("button", { name: `Replay ${webhookId}` }).click();
    await expect.poll(() => receiver.to(path).length).toBe(2);
    expect(receiver.to(path)[1]!.headers["webhook-id"]).toBe(webhookId);
    await expect(async () => {
      await page.reload();
      await expect(row).toContainText("#2 (replay) 204", { timeout: 1_000 });
    }).toPass();

    // Rotating the secret shows the new one once; the old one keeps signing for the overlap.
    const rotate = page.getByRole("form", { name: "Rotate the signing secret" });
    await rotate.getByLabel("Old secret keeps signing for").selectOption("1h");
    await rotate.getByRole("button", { name: "Rotate secret" }).click();
    const rotated = (await page.getByLabel("New signing secret").textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    const [saved] = await db.select().from(webhookSubscriptions).where(like(webhookSubscriptions.url, receiver.url(path)));
    expect(saved).toMatchObject({ secret: rotated, previousSecret: secret });
  } finally {
    // The receiver goes away with this test: stop delivering to it, so later specs' events do
    // not fill the server log with refused connections.
    await db.update(webhookSubscriptions).set({ active: false }).where(like(webhookSubscriptions.url, `${receiver.url("")}%`));
    await receiver.close();
  }
});
