import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §2: times read relative with the exact time on hover, in UTC by default; the header's
// Times setting switches the exact times to the browser's zone, kept across reloads, with no
// hydration mismatch (the server renders UTC either way).
test.use({ timezoneId: "Asia/Tokyo" });

test("the exact time on hover follows the Times setting: UTC, or the browser's zone (Tokyo here)", async ({ page, db }) => {
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  const inst = await createInstance(db, { status: "running" });
  const started = inst.updatedAt;
  await signInAs(page, "auditor");
  await page.goto("/instances?status=running&sort=started");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${inst.id}` }) });
  const time = row.locator("time");
  const utcText = started.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  await expect(time).toHaveAttribute("title", utcText);

  await page.getByLabel("Times").selectOption({ label: "Local time" });
  const tokyo = new Date(started.getTime() + 9 * 3_600_000).toISOString().replace("T", " ").replace(/\.\d+Z$/, " GMT+9");
  await expect(time).toHaveAttribute("title", tokyo);

  await page.reload();
  await expect(page.getByLabel("Times")).toHaveValue("local");
  await expect(row.locator("time")).toHaveAttribute("title", tokyo);
  expect(errors.filter((e) => /hydrat/i.test(e))).toEqual([]);
});
