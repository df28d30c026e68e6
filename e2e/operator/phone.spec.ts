import { eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { instances, type Role } from "@/db/schema";
import { expect, signInAs, test } from "../support/fixtures";

// An iPhone-sized viewport: every page must fit it without the page itself scrolling sideways.
test.use({ viewport: { width: 390, height: 844 } });

async function fitsTheScreen(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, `${page.url()} is ${scrollWidth} px wide`).toBeLessThanOrEqual(innerWidth);
}

/** Every main link and Sign out can be reached: through the menu button, and on screen once open. */
async function navReachable(page: Page, links: string[]) {
  await page.getByRole("button", { name: "Menu" }).click();
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const name of links) await expect(nav.getByRole("link", { name: new RegExp(`^${name}`) })).toBeInViewport({ ratio: 1 });
  await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport({ ratio: 1 });
  await page.keyboard.press("Escape");
}

const mainLinks = ["Instances", "Workflows", "Approvals", "History", "Insights"];

test("every dashboard page fits 390 px and keeps its navigation reachable, for the role that sees it", async ({ browser, db }) => {
  test.setTimeout(120_000);
  const [paused] = await db.select({ id: instances.id }).from(instances).where(eq(instances.status, "paused")).limit(1);
  // The last field: whether the page has the dashboard's header (the forbidden and unknown-address pages stand alone).
  const visits: [Role, string, string | RegExp, boolean][] = [
    ["operator", "/instances", "Instances", true],
    ["operator", `/instances/${paused!.id}`, /./, true],
    ["operator", "/instances/00000000-0000-4000-8000-000000000000", "Not found", true],
    ["operator", "/workflows", "Workflows", true],
    ["operator", "/workflows/windows", "Maintenance windows", true],
    ["operator", "/approvals", "Approvals", true],
    ["approver", "/approvals", "Approvals", true],
    ["auditor", "/history", "History", true],
    ["auditor", "/history/access", /Access/, true],
    ["auditor", "/history/workflows", /Workflow/, true],
    ["auditor", "/insights", "Insights", true],
    ["admin", "/admin/users", "Users", true],
    ["admin", "/admin/webhooks", "Webhooks", true],
    ["admin", "/admin/notifications", "Notifications", true],
    ["operator", "/account", "Your account", true],
    ["operator", "/admin/users", "Your role does not open this page", false],
    ["operator", "/no-such-page", "Page not found", false],
  ];
  const pages = new Map<Role, Page>();
  for (const [role, url, heading, dashboard] of visits) {
    let page = pages.get(role);
    if (!page) {
      page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      await signInAs(page, role);
      pages.set(role, page);
    }
    await page.goto(url);
    await expect(page.getByRole("heading", { level: 1, name: heading }).first()).toBeVisible();
    await fitsTheScreen(page);
    if (dashboard) await navReachable(page, role === "admin" ? [...mainLinks, "Admin"] : mainLinks);
  }
  // An admin's page of one user (tokens, deactivation), reached as an admin would.
  const admin = pages.get("admin")!;
  await admin.goto("/admin/users");
  await admin.getByRole("link", { name: "Olivia Operator" }).click();
  await expect(admin.getByRole("heading", { level: 1, name: "Olivia Operator" })).toBeVisible();
  await fitsTheScreen(admin);
  await admin.screenshot({ path: "test-results/user-page-390.png", fullPage: true });
  for (const page of pages.values()) await page.context().close();
});

test("the sign-in page fits 390 px", async ({ page }) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await fitsTheScreen(page);
});
