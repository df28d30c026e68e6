import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import { CliError, createClient, EXIT, type Client, type ExitCode } from "./client";
import { loadConfig, saveConfig } from "./config";
import { colourOfStatus, paint, parseValueOptions, table, useColour, when, type Cell, type Output } from "./format";

/*
 * `flowgate`: Flowgate's REST API from a terminal (issue 13 §1). Each command is a thin client
 * of one or two routes; the rules (who may, what is legal) stay on the server, and their refusals
 * come back as the API's message and an exit code (cli/client.ts).
 */

type Instance = {
  id: string;
  workflowKey: string;
  workflowName: string;
  workflowVersion: number;
  status: string;
  currentSteps: string[];
  pausedAt: string | null;
  pausedByLabel: string | null;
  pauseReason: string | null;
  pauseMode: string | null;
  resumeAt: string | null;
  drainingSteps: number;
  updatedAt: string;
  createdAt: string;
};
type InstanceDetail = Instance & {
  steps: { key: string; name: string; status: string; attempt: number; startedAt: string | null; finishedAt: string | null; error: string | null }[];
  gates: { id: string; stage: string; status: string }[];
};
type HistoryRow = { seq: number; createdAt: string; action: string; actorLabel: string; fromStatus: string | null; toStatus: string | null; reason: string | null };
type Page<T> = { items: T[]; nextCursor: string | null };
type BulkSummary = { succeeded: number; failed: number; results: ({ instanceId: string; ok: true } | { instanceId: string; ok: false; code: string; message: string })[] };
/** GET /bulk-operations/{id}: the fields the CLI follows. */
type BulkOperationAnswer = { id: string; state: "running" | "completed" | "cancelled"; matched: number; done: number; cancelledByLabel: string | null; cancelReason: string | null };
type Gate = { id: string; instanceId: string; stage: string; status: string; required: number; progress?: { approvals: number; required: number } | null; requestedAt: string; workflowKey?: string };
type Workflow = { key: string; name: string; versions?: unknown[]; hold: { heldByLabel: string; reason: string } | null; counts?: Record<string, number> };

/** How many ids one bulk request may carry (the API's limit, lib/instances/bulk-limits.ts). */
const BULK_MAX = 500;

export type Io = Output & { stdin: NodeJS.ReadableStream & { isTTY?: boolean } };

/** Builds the program; `io` carries the streams and environment, so tests and main.ts differ only there. */
export function buildProgram(io: Io): Command {
  const colour = useColour(io.out, io.env);
  const print = (text: string): void => void io.out.write(`${text}\n`);
  const note = (text: string): void => void io.err.write(`${text}\n`);
  const client = async (): Promise<Client> => {
    const config = await loadConfig(io.env);
    return createClient(config.url, config.token);
  };
  const json = (value: unknown): void => print(JSON.stringify(value, null, 2));
  const status = (s: string): Cell => ({ text: s, colour: colourOfStatus(s) });

  const program = new Command("flowgate")
    .description("Pause, resume and sign off Flowgate workflows from a terminal.\nExit codes: 0 ok, 1 invalid arguments, 2 conflict, 3 not found or forbidden, 4 server or network error.")
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s), outputError: (s, write) => write(s) })
    .exitOverride()
    .showHelpAfterError();

  program
    .command("login")
    .description("check a URL and API token and save them for later commands")
    .requiredOption("--url <url>", "the dashboard's URL, e.g. https://flowgate.example.com")
    .requiredOption("--token <token>", "an API token (issue one on your account page)")
    .action(async (opts: { url: string; token: string }) => {
      const me = await createClient(opts.url, opts.token).json<{ email: string; role: string }>("GET", "/me");
      const file = await saveConfig({ url: opts.url.replace(/\/+$/, ""), token: opts.token }, io.env);
      print(`Signed in as ${me.email} (${me.role}); saved to ${file}`);
    });

  program
    .command("whoami")
    .description("who the token acts as")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const me = await (await client()).json<{ email: string; name: string; role: string }>("GET", "/me");
      if (opts.json) return json(me);
      print(`${me.name} <${me.email}> ${me.role}`);
    });

  program
    .command("list")
    .description("list instances, most recently changed first (or --sort)")
    .addOption(new Option("--status <status>", "running, paused, waiting, any other status, or all").default("all"))
    .option("--workflow <key>", "only this workflow")
    .option("--input <conditions>", "only instances whose input holds these fields, e.g. 'customer=acme, region.name=eu'")
    .addOption(new Option("--sort <order>", "changed, started, workflow or status").default("changed"))
    .option("--limit <n>", "at most this many", positiveInt, 50)
    .option("--json", "print JSON")
    .action(async (opts: { status: string; workflow?: string; input?: string; sort: string; limit: number; json?: boolean }) => {
      const items = await listAll(await client(), { status: opts.status, workflow: opts.workflow, input: opts.input, sort: opts.sort }, opts.limit);
      if (opts.json) return json(items);
      if (!items.length) return note("No instances match.");
      print(
        table(
          ["ID", "WORKFLOW", "STATUS", "STEP", "CHANGED", "PAUSED BY", "REASON"],
          items.map((i) => [i.id, i.workflowKey, status(drainingLabel(i)), i.currentSteps.join(", ") || "—", when(i.updatedAt), i.pausedByLabel ?? "—", i.pauseReason ?? "—"]),
          { colour, maxCell: 48 },
        ),
      );
    });

  program
    .command("show <id>")
    .description("an instance with its steps and gates")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const detail = await (await client()).json<InstanceDetail>("GET", `/instances/${encodeURIComponent(id)}`);
      if (opts.json) return json(detail);
      print(`${detail.id}  ${detail.workflowName} v${detail.workflowVersion}  ${paint(drainingLabel(detail), colourOfStatus(detail.status), colour)}`);
      if (detail.status === "paused") print(`Paused by ${detail.pausedByLabel ?? "?"} at ${when(detail.pausedAt)} (${detail.pauseMode ?? "?"}): ${detail.pauseReason ?? ""}${detail.resumeAt ? `; resumes at ${when(detail.resumeAt)}` : ""}`);
      print("");
      print(table(["STEP", "STATUS", "ATTEMPT", "STARTED", "FINISHED", "ERROR"], detail.steps.map((s) => [s.key, status(s.status), String(s.attempt), when(s.startedAt), when(s.finishedAt), s.error ?? ""]), { colour }));
      if (detail.gates.length) {
        print("");
        print(table(["GATE", "STAGE", "STATUS"], detail.gates.map((g) => [g.id, g.stage, status(g.status)]), { colour }));
      }
    });

  program
    .command("history <id>")
    .description("an instance's history, newest first")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const page = await (await client()).json<Page<HistoryRow>>("GET", `/history?${new URLSearchParams({ instanceId: id, limit: "100" })}`);
      if (opts.json) return json(page.items);
      print(table(["WHEN", "ACTION", "BY", "FROM → TO", "REASON"], page.items.map((r) => [when(r.createdAt), r.action, r.actorLabel, `${r.fromStatus ?? "—"} → ${r.toStatus ?? "—"}`, r.reason ?? ""]), { colour }));
    });

  program
    .command("export")
    .description("the history as CSV or NDJSON on stdout, streamed; progress on stderr")
    .addOption(new Option("--format <format>", "csv or ndjson").choices(["csv", "ndjson"]).default("csv"))
    .option("--instance <id>", "one instance")
    .option("--actor <prefix>", "actor (case-insensitive prefix)")
    .option("--action <action>", "one action, e.g. paused")
    .option("--workflow <key>", "one workflow")
    .option("--category <category>", "pause category")
    .option("--q <text>", "reason contains")
    .option("--from <date>", "from this ISO date or time")
    .option("--to <date>", "to this ISO date or time (a bare date: the whole day)")
    .action(async (opts: Record<string, string | undefined>) => {
      const query = new URLSearchParams({ format: opts.format ?? "csv" });
      for (const [flag, param] of [["instance", "instanceId"], ["actor", "actor"], ["action", "action"], ["workflow", "workflow"], ["category", "category"], ["q", "q"], ["from", "from"], ["to", "to"]] as const) {
        if (opts[flag]) query.set(param, opts[flag]!);
      }
      const response = await (await client()).stream(`/history/export?${query}`);
      const total = Number(response.headers.get("x-total-count") ?? Number.NaN);
      let rows = 0;
      let lastReport = 0;
      const reader = response.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        io.out.write(value);
        for (const byte of value) if (byte === 10) rows++;
        if (Date.now() - lastReport > 500) {
          lastReport = Date.now();
          note(Number.isFinite(total) ? `exported ${Math.min(rows, total)} of ${total} rows` : `exported ${rows} rows`);
        }
      }
      // CSV has a header line; NDJSON does not.
      const written = opts.format === "ndjson" ? rows : Math.max(0, rows - 1);
      note(`exported ${written} row${written === 1 ? "" : "s"}`);
    });

  const byFilter = (command: Command) =>
    command
      .option("--all", "act on every instance matching --workflow and --status (asks first, or pass --yes)")
      .option("--workflow <key>", "with --all: only this workflow")
      .option("--status <status>", "with --all: only this status")
      .option("-y, --yes", "with --all: do not ask");

  byFilter(
    program
      .command("pause [ids...]")
      .description("pause instances, saying why; graceful unless --immediate")
      .requiredOption("--reason <reason>", "why (up to 500 characters)")
      .option("--immediate", "cancel running steps instead of letting them finish")
      .option("--resume-at <time>", "resume automatically at this ISO time")
      .option("--category <category>", "maintenance, incident, …")
      .option("--ticket <url>", "a link to the ticket")
      .option("--wait", "wait until fully paused (drained), showing what is still finishing")
      .option("--wait-timeout <seconds>", "with --wait: give up after this long (exit 4)", positiveInt, 600)
      .option("--json", "print JSON"),
  ).action(async (ids: string[], opts: { reason: string; immediate?: boolean; resumeAt?: string; category?: string; ticket?: string; wait?: boolean; waitTimeout: number; json?: boolean; all?: boolean; workflow?: string; status?: string; yes?: boolean }) => {
    const api = await client();
    const body = { reason: opts.reason, mode: opts.immediate ? "immediate" : "graceful", resumeAt: opts.resumeAt, category: opts.category, ticketUrl: opts.ticket };
    if (opts.all && opts.resumeAt) throw new CliError("--resume-at works with instance ids, not with --all", EXIT.invalid);
    const results = opts.all ? await byFilterOperation(api, ids, opts, "running", "pause", body) : await command(api, targetIds(ids, "pause"), "pause", body);
    report(results, "paused", opts.json);
    const deadline = Date.now() + opts.waitTimeout * 1000;
    if (opts.wait) for (const r of results) if (r.ok) await waitUntilPaused(api, r.instanceId, deadline);
    exitForResults(results);
  });

  byFilter(
    program
      .command("resume [ids...]")
      .description("resume paused instances")
      .option("--reason <reason>", "why (required with --force)")
      .option("--force", "skip the workflow's resume condition")
      .option("--category <category>", "maintenance, incident, …")
      .option("--ticket <url>", "a link to the ticket")
      .option("--json", "print JSON"),
  ).action(async (ids: string[], opts: { reason?: string; force?: boolean; category?: string; ticket?: string; json?: boolean; all?: boolean; workflow?: string; status?: string; yes?: boolean }) => {
    const api = await client();
    const body = { reason: opts.reason, force: opts.force ?? false, category: opts.category, ticketUrl: opts.ticket };
    const results = opts.all ? await byFilterOperation(api, ids, opts, "paused", "resume", body) : await command(api, targetIds(ids, "resume"), "resume", body);
    report(results, opts.force ? "force-resumed" : "resumed", opts.json);
    exitForResults(results);
  });

  program
    .command("cancel <id>")
    .description("cancel an instance: running steps aborted, pending gates withdrawn")
    .requiredOption("--reason <reason>", "why")
    .action(async (id: string, opts: { reason: string }) => {
      const row = await (await client()).json<Instance>("POST", `/instances/${encodeURIComponent(id)}/cancel`, { reason: opts.reason });
      print(`${row.id} ${row.status}`);
    });

  program
    .command("retry <id>")
    .description("retry a failed instance from its failed step(s): a new attempt, completed steps and context kept")
    .requiredOption("--reason <reason>", "why (up to 500 characters)")
    .option("--category <category>", "maintenance, incident, …")
    .option("--ticket <url>", "a link to the ticket")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { reason: string; category?: string; ticket?: string; json?: boolean }) => {
      const row = await (await client()).json<Instance>("POST", `/instances/${encodeURIComponent(id)}/retry`, { reason: opts.reason, category: opts.category, ticketUrl: opts.ticket });
      if (opts.json) return json(row);
      print(`${row.id} ${row.status}`);
    });

  program
    .command("start <workflow>")
    .description("start an instance of a workflow")
    .option("--input <json>", "the input as JSON, or @file to read it from a file")
    .option("--json", "print JSON")
    .action(async (workflow: string, opts: { input?: string; json?: boolean }) => {
      const input = opts.input === undefined ? undefined : await parseInputOption(opts.input);
      const row = await (await client()).json<Instance>("POST", "/instances", { workflow, input });
      if (opts.json) return json(row);
      print(`Started ${row.id} (${row.workflowKey})`);
    });

  program
    .command("gates")
    .description("approval gates, newest first")
    .option("--pending", "only gates waiting for a decision")
    .addOption(new Option("--status <status>", "pending, approved, rejected, expired or withdrawn").conflicts("pending"))
    .option("--json", "print JSON")
    .action(async (opts: { pending?: boolean; status?: string; json?: boolean }) => {
      const query = new URLSearchParams({ limit: "100" });
      const wanted = opts.pending ? "pending" : opts.status;
      if (wanted) query.set("status", wanted);
      const page = await (await client()).json<Page<Gate>>("GET", `/gates?${query}`);
      if (opts.json) return json(page.items);
      if (!page.items.length) return note("No gates match.");
      print(table(["GATE", "INSTANCE", "STAGE", "STATUS", "PROGRESS", "REQUESTED"], page.items.map((g) => [g.id, g.instanceId, g.stage, status(g.status), g.progress ? `${g.progress.approvals}/${g.progress.required}` : "—", when(g.requestedAt)]), { colour }));
    });

  program
    .command("approve <gate>")
    .description("approve a gate")
    .option("--comment <comment>", "a comment for the record")
    .option("--option <name>", "the path to take, on a gate that offers options")
    .option("--value <key=value>", "a field of the gate's form (repeat it); numbers, true/false and \"quoted\" text are JSON", (v: string, all: string[]) => [...all, v], [] as string[])
    .action(async (gate: string, opts: { comment?: string; option?: string; value: string[] }) => {
      const values = opts.value.length ? parseValueOptions(opts.value) : undefined;
      const answer = await (await client()).json<{ outcome: string; gate: { chosenOption: string | null }; skipped: string[] }>("POST", `/gates/${encodeURIComponent(gate)}/approve`, { comment: opts.comment, option: opts.option, values });
      if (answer.outcome !== "approved") return print("Approval recorded; the gate needs more");
      print(answer.gate.chosenOption ? `Gate approved: taking "${answer.gate.chosenOption}"${answer.skipped.length ? `; skipped ${answer.skipped.join(", ")}` : ""}` : "Gate approved");
    });

  program
    .command("reject <gate>")
    .description("reject a gate; the instance fails")
    .requiredOption("--comment <comment>", "why")
    .action(async (gate: string, opts: { comment: string }) => {
      await (await client()).json("POST", `/gates/${encodeURIComponent(gate)}/reject`, { comment: opts.comment });
      print("Gate rejected");
    });

  program
    .command("delegate <gate>")
    .description("hand your part of a gate to someone else")
    .requiredOption("--to <email>", "who decides instead")
    .requiredOption("--reason <reason>", "why")
    .action(async (gate: string, opts: { to: string; reason: string }) => {
      await (await client()).json("POST", `/gates/${encodeURIComponent(gate)}/delegate`, { to: opts.to, reason: opts.reason });
      print(`Delegated to ${opts.to}`);
    });

  program
    .command("workflows")
    .description("workflow definitions, and whether each is paused")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { items } = await (await client()).json<{ items: Workflow[] }>("GET", "/workflows");
      if (opts.json) return json(items);
      print(table(["KEY", "NAME", "PAUSED"], items.map((w) => [w.key, w.name, w.hold ? { text: `by ${w.hold.heldByLabel}: ${w.hold.reason}`, colour: "yellow" as const } : "no"]), { colour }));
    });

  const workflow = program.command("workflow").description("pause or resume a whole workflow (no new instance starts while paused)");
  workflow
    .command("pause <key>")
    .requiredOption("--reason <reason>", "why")
    .action(async (key: string, opts: { reason: string }) => {
      await (await client()).json("POST", `/workflows/${encodeURIComponent(key)}/pause`, { reason: opts.reason });
      print(`Workflow ${key} paused`);
    });
  workflow
    .command("resume <key>")
    .option("--reason <reason>", "why")
    .action(async (key: string, opts: { reason?: string }) => {
      await (await client()).json("POST", `/workflows/${encodeURIComponent(key)}/resume`, { reason: opts.reason });
      print(`Workflow ${key} resumed`);
    });

  return program;

  /**
   * --all: one bulk operation by filter (POST /instances/bulk/{verb} with `filter`), run by the
   * server's worker, so there is no cap on the count and each instance is re-checked when its turn
   * comes. Counts the matches first and asks (or takes --yes), follows the operation's progress on
   * stderr, then returns every instance's result.
   */
  async function byFilterOperation(api: Client, ids: string[], opts: { all?: boolean; workflow?: string; status?: string; yes?: boolean }, defaultStatus: string, verb: "pause" | "resume", body: Record<string, unknown>): Promise<BulkSummary["results"]> {
    if (ids.length) throw new CliError("Give instance ids or --all, not both", EXIT.invalid);
    const filter = { status: opts.status ?? defaultStatus, ...(opts.workflow ? { workflow: opts.workflow } : {}) };
    const { matched } = await api.json<{ matched: number }>("GET", `/instances/bulk/${verb}?${new URLSearchParams(filter).toString()}`);
    const words = `${filter.status}${opts.workflow ? ` instances of ${opts.workflow}` : " instances"}`;
    if (!matched) throw new CliError(`No ${words} to ${verb}`, EXIT.notFound);
    if (!opts.yes) {
      if (!io.stdin.isTTY) throw new CliError(`${matched} ${words} match; pass --yes to ${verb} them without asking`, EXIT.invalid);
      const rl = createInterface({ input: io.stdin, output: io.err });
      const answer = await rl.question(`${verb[0]!.toUpperCase()}${verb.slice(1)} ${matched} ${words}? [y/N] `);
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("Nothing done", EXIT.invalid);
    }
    let operation = await api.json<BulkOperationAnswer>("POST", `/instances/bulk/${verb}`, { ...body, filter });
    note(`bulk operation ${operation.id}: ${verb} ${operation.matched} ${words}`);
    let last = -1;
    while (operation.state === "running") {
      if (operation.done !== last) note(`${verb}: ${operation.done} of ${operation.matched}`);
      last = operation.done;
      await new Promise((r) => setTimeout(r, 500));
      operation = await api.json<BulkOperationAnswer>("GET", `/bulk-operations/${operation.id}`);
    }
    if (operation.state === "cancelled") note(`bulk operation ${operation.id} was cancelled by ${operation.cancelledByLabel ?? "someone"}: ${operation.cancelReason ?? ""}`);
    const results: BulkSummary["results"] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: "500", ...(cursor ? { cursor } : {}) });
      const page: { items: { instanceId: string; status: string; code: string | null; message: string | null }[]; nextCursor: string | null } = await api.json("GET", `/bulk-operations/${operation.id}/targets?${query.toString()}`);
      for (const t of page.items) results.push(t.status === "succeeded" ? { instanceId: t.instanceId, ok: true } : { instanceId: t.instanceId, ok: false, code: t.code ?? t.status, message: t.message ?? (t.status === "skipped" ? "skipped: the operation was cancelled" : t.status) });
      cursor = page.nextCursor;
    } while (cursor);
    return results;
  }

  /** The ids given (--all goes through byFilterOperation instead). */
  function targetIds(ids: string[], verb: string): string[] {
    if (!ids.length) throw new CliError(`Give the ids of the instances to ${verb}, or --all with a filter`, EXIT.invalid);
    return ids;
  }

  /** One instance: its own route, so the API's message comes back as is; several: the bulk route, 500 at a time. */
  async function command(api: Client, ids: string[], verb: "pause" | "resume", body: Record<string, unknown>): Promise<BulkSummary["results"]> {
    if (ids.length === 1) {
      try {
        await api.json("POST", `/instances/${encodeURIComponent(ids[0]!)}/${verb}`, body);
        return [{ instanceId: ids[0]!, ok: true }];
      } catch (error) {
        if (error instanceof CliError && error.exitCode === EXIT.conflict) return [{ instanceId: ids[0]!, ok: false, code: "conflict", message: error.message }];
        throw error;
      }
    }
    const results: BulkSummary["results"] = [];
    for (let i = 0; i < ids.length; i += BULK_MAX) {
      const chunk = ids.slice(i, i + BULK_MAX);
      const summary = await api.json<BulkSummary>("POST", `/instances/bulk/${verb}`, { ...body, instanceIds: chunk });
      results.push(...summary.results);
      if (ids.length > BULK_MAX) note(`${verb}: ${Math.min(i + BULK_MAX, ids.length)} of ${ids.length}`);
    }
    return results;
  }

  function report(results: BulkSummary["results"], done: string, asJson?: boolean) {
    if (asJson) return json(results);
    for (const r of results) print(r.ok ? `${r.instanceId}  ${paint(done, "green", colour)}` : `${r.instanceId}  ${paint("refused", "red", colour)}: ${r.message}`);
    if (results.length > 1) note(`${results.filter((r) => r.ok).length} of ${results.length} ${done}`);
  }

  /** Polls until the instance is paused with no step still running: the "drained" signal Temporal lacks. */
  async function waitUntilPaused(api: Client, id: string, deadline: number) {
    let last = "";
    for (;;) {
      if (Date.now() > deadline) throw new CliError(`${id} is still draining; gave up waiting (--wait-timeout)`, EXIT.server);
      const detail = await api.json<InstanceDetail>("GET", `/instances/${encodeURIComponent(id)}`);
      if (detail.status !== "paused") throw new CliError(`${id} is ${detail.status}, no longer paused`, EXIT.conflict);
      if (detail.drainingSteps === 0) {
        note(`${id}: fully paused`);
        return;
      }
      const line = `${id}: draining: ${detail.drainingSteps} finishing`;
      if (line !== last) note(line);
      last = line;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Every instance matching, following cursors, up to `limit`. */
async function listAll(api: Client, filter: { status: string; workflow?: string; input?: string; sort?: string }, limit: number): Promise<Instance[]> {
  const items: Instance[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ status: filter.status, limit: String(Math.min(100, limit - items.length)) });
    if (filter.workflow) query.set("workflow", filter.workflow);
    if (filter.input) query.set("input", filter.input);
    if (filter.sort) query.set("sort", filter.sort);
    if (cursor) query.set("cursor", cursor);
    const page: Page<Instance> = await api.json<Page<Instance>>("GET", `/instances?${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < limit);
  return items;
}

/** "paused (draining: 2 finishing)" while a graceful pause lets steps finish. */
function drainingLabel(i: { status: string; drainingSteps: number }): string {
  return i.status === "paused" && i.drainingSteps > 0 ? `paused (draining: ${i.drainingSteps} finishing)` : i.status;
}

/** Exit 2 when any instance was refused (the API's 409s), else 0. */
function exitForResults(results: BulkSummary["results"]) {
  if (results.some((r) => !r.ok)) throw new CliError("", EXIT.conflict);
}

async function parseInputOption(raw: string): Promise<unknown> {
  const text = raw.startsWith("@") ? await readFile(raw.slice(1), "utf8").catch(() => { throw new CliError(`Cannot read ${raw.slice(1)}`, EXIT.invalid); }) : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError("--input must be JSON (or @file holding JSON)", EXIT.invalid);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive whole number");
  return n;
}

export type { ExitCode };
