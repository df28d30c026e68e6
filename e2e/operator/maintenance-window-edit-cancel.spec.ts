import { asc, eq } from "drizzle-orm";
import { maintenanceWindowLog, maintenanceWindows } from "@/db/schema";
import { createWindow } from "@/lib/maintenance/windows";
import { createDefinition } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 14 §1: an operator restates a scheduled maintenance window, then calls it off with a
// reason; both are in the window's log. (Creating one and ending one early: maintenance-windows.spec.ts.)

test("an operator edits a scheduled maintenance window, then cancels it with a reason", async ({ page, db }) => {
  const def = await createDefinition(db);
  const title = `Index rebuild ${def.key}`;
  const window = await createWindow(db, { title, workflowKeys: [def.key], reason: "Rebuild the orders indexes", startsAt: new Date(Date.now() + 24 * 3_600_000).toISOString(), endsAt: new Date(Date.now() + 25 * 3_600_000).toISOString() }, { id: null, label: "operator@flowgate.dev" });

  await signInAs(page, "operator");
  await page.goto("/workflows/windows");
  const upcoming = page.getByRole("region", { name: "Upcoming" });
  await upcoming.getByRole("article", { name: title }).getByRole("link", { name: "Edit" }).click();
  const form = page.getByRole("form", { name: "Edit maintenance window" });
  await expect(form.getByLabel("Title")).toHaveValue(title);
  const moved = `${title} (moved)`;
  await form.getByLabel("Title").fill(moved);
  await form.getByLabel("Reason").fill("Rebuild the orders and payments indexes");
  await form.getByRole("button", { name: "Save window" }).click();
  const card = upcoming.getByRole("article", { name: moved });
  await expect(card).toContainText("Rebuild the orders and payments indexes");
  const [edited] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, window.id));
  expect(edited).toMatchObject({ title: moved, reason: "Rebuild the orders and payments indexes", state: "scheduled", version: window.version + 1 });

  await card.getByRole("button", { name: "Cancel window" }).click();
  const dialog = page.getByRole("dialog", { name: `Cancel ${moved}` });
  await expect(dialog.getByRole("button", { name: "Cancel window" })).toBeDisabled();
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Moved to the next release train");
  await dialog.getByRole("button", { name: "Cancel window" }).click();
  await expect(upcoming.getByRole("article", { name: moved })).toHaveCount(0);
  const [cancelled] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, window.id));
  expect(cancelled).toMatchObject({ state: "cancelled", cancelReason: "Moved to the next release train", cancelledByLabel: "operator@flowgate.dev" });
  const log = await db.select().from(maintenanceWindowLog).where(eq(maintenanceWindowLog.windowId, window.id)).orderBy(asc(maintenanceWindowLog.id));
  expect(log.map((l) => [l.action, l.actorLabel])).toEqual([
    ["created", "operator@flowgate.dev"],
    ["edited", "operator@flowgate.dev"],
    ["cancelled", "operator@flowgate.dev"],
  ]);
});
