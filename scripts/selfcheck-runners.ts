/**
 * `npm run test:selfcheck`: proves that the test runners fail the run when a test fails. Each
 * runner is started on a fixture that fails on purpose, with the real configuration (the
 * embedded cluster, the e2e stack); the check passes only if the runner exits non-zero AND its
 * output names the fixture's failing test AND shows the fixture's own assertion failing (its
 * expected value), so a runner that failed for another reason (no browser, a broken set-up)
 * does not count. Exit 0 when both runners report failure properly, 1 otherwise.
 */
import { spawn } from "node:child_process";

/** The fixtures' expected value: seen in the output only when their own assertion failed. */
const MARKER = "selfcheck-expected-value";

type Check = { name: string; args: string[]; failedTest: string };

const checks: Check[] = [
  { name: "vitest", args: ["node_modules/vitest/vitest.mjs", "run", "--config", "test/selfcheck/vitest.config.ts"], failedTest: "SELFCHECK: a failing unit test" },
  { name: "playwright", args: ["node_modules/@playwright/test/cli.js", "test", "--config", "test/selfcheck/playwright.config.ts"], failedTest: "SELFCHECK: a failing e2e test" },
];

function run(check: Check): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, check.args, { env: { ...process.env, CI: "1", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

let ok = true;
for (const check of checks) {
  process.stderr.write(`selfcheck: running ${check.name} on a failing fixture…\n`);
  const { code, output } = await run(check);
  const named = output.includes(check.failedTest);
  // The fixture got as far as its own assertion: the stack around it worked.
  const asserted = output.includes(MARKER);
  if (code !== 0 && code !== null && named && asserted) {
    console.log(`selfcheck: ${check.name} failed the run as it must (exit ${code})`);
  } else {
    ok = false;
    console.error(`selfcheck: ${check.name} exit ${code}, failing test ${named ? "reported" : "NOT reported"}, its assertion ${asserted ? "reached" : "NOT reached"}: a failing test must fail the run, and for its own reason`);
    console.error(output.slice(-4000));
  }
}
process.exitCode = ok ? 0 : 1;
