import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "@/test/support/free-port";
import { expect, test } from "./support/fixtures";

/** `npm start` as a newcomer runs it: a data folder that does not exist yet, then a restart on it. */
function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env: { ...process.env, ...env, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function healthy(url: string, within: number): Promise<unknown> {
  const deadline = Date.now() + within;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return response.json();
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${within} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const stop = (child: ChildProcess) => new Promise<number | null>((resolve) => { child.on("exit", resolve); child.kill("SIGTERM"); });

test("npm start boots the embedded database in a new folder, migrates, seeds, serves, and restarts on the same data", async ({ page }) => {
  test.setTimeout(180_000);
  const root = await mkdtemp(path.join(os.tmpdir(), "flowgate-start-"));
  const env = { FLOWGATE_DATA_DIR: path.join(root, "new", ".data"), PORT: String(await freePort()), FLOWGATE_PG_PORT: String(await freePort()), LOG_LEVEL: "warn" };
  const base = `http://localhost:${env.PORT}`;
  try {
    const first = start(env);
    expect(await healthy(`${base}/api/health`, 90_000)).toMatchObject({ status: "ok", database: { status: "up" } });
    expect(first.output()).toContain(`dashboard on http://localhost:${env.PORT}`);
    expect(first.output()).toContain("operator@flowgate.dev");
    await page.goto(`${base}/sign-in`);
    await expect(page.getByRole("region", { name: "Demo sign-ins" })).toContainText("approver@flowgate.dev");
    expect(await stop(first.child)).toBe(0);

    const second = start(env);
    expect(await healthy(`${base}/api/health`, 90_000)).toMatchObject({ status: "ok" });
    expect(second.output()).not.toContain("seeded");
    expect(await stop(second.child)).toBe(0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
