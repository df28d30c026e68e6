import { readFileSync } from "node:fs";
import { test as base, expect, type Page } from "@playwright/test";
import { createDb, type Db } from "@/db/client";
import type { Role } from "@/db/schema";
import { DEMO_PASSWORD } from "@/db/seed-users";
import { STATE_FILE } from "./state";

/** Signs in through the real form, as a person would. */
export async function signInAs(page: Page, role: Role) {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(`${role}@flowgate.dev`);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
}

type Fixtures = { db: Db };

/** `db`: the e2e server's database, so specs can create their own data and check what was written. */
export const test = base.extend<{}, Fixtures>({
  db: [
    async ({}, use) => {
      const { db, sql } = createDb(readFileSync(STATE_FILE, "utf8"), { max: 2 });
      await use(db);
      await sql.end();
    },
    { scope: "worker" },
  ],
});

export { expect };
