/**
 * How the CLI prints: aligned tables for people, JSON for scripts (`--json`), colour only on a
 * terminal and never with NO_COLOR set (https://no-color.org).
 */

export type Output = { out: NodeJS.WritableStream & { isTTY?: boolean }; err: NodeJS.WritableStream & { isTTY?: boolean }; env: Record<string, string | undefined> };

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof codes;

/** Whether `stream` should get colour: a TTY, NO_COLOR unset, and FORCE_COLOR unset or not "0". */
export function useColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0";
  return !!stream.isTTY;
}

export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\u001b[${codes[colour]}m${text}\u001b[0m` : text;
}

const statusColour: Record<string, Colour> = { running: "blue", paused: "yellow", waiting: "magenta", completed: "green", failed: "red", cancelled: "dim", timed_out: "red", pending: "dim" };
export const colourOfStatus = (status: string): Colour => statusColour[status] ?? "dim";

/** A table cell: text, optionally painted (server text is sanitised first, then coloured). */
export type Cell = string | { text: string; colour: Colour };

/** Code points, not UTF-16 units, so an emoji in a reason does not shift the columns. */
const width = (text: string) => [...text].length;

/**
 * Rows under a header, columns padded to their widest cell, cells cut to `maxCell` code points
 * with an ellipsis; coloured cells painted only when `colour` is true.
 */
export function table(header: string[], rows: Cell[][], options: { maxCell?: number; colour?: boolean } = {}): string {
  const max = options.maxCell ?? 60;
  const cut = (text: string) => (width(text) > max ? `${[...text].slice(0, max - 1).join("")}…` : text);
  const plain = rows.map((r) => r.map((c) => cut(oneLine(typeof c === "string" ? c : c.text))));
  const widths = header.map((h, i) => Math.max(width(h), ...plain.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[], source?: Cell[]) =>
    cells
      .map((text, i) => {
        const padded = i === cells.length - 1 ? text : text + " ".repeat(widths[i]! - width(text));
        const cell = source?.[i];
        return cell && typeof cell !== "string" ? paint(padded, cell.colour, !!options.colour) : padded;
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...plain.map((r, i) => line(r, rows[i]))].join("\n");
}

/** Control characters (newlines in a reason, an escape sequence someone typed) never reach the terminal raw. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === "\n" || c === "\t" ? " " : "�"));
}

/** "2026-11-30 12:00:00Z" for a date string, "—" for null. */
export function when(value: string | null | undefined): string {
  if (!value) return "—";
  return value.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/**
 * `--value key=value` options as the approve body's `values`: the value is read as JSON when it
 * is a number, `true`, `false` or a quoted string (`batch=3`, `urgent=true`, `ref="007"`), else as
 * the text itself (`note=roll back first`). The server checks them against the gate's form.
 * Throws an Error for an option without `=` or with an empty key.
 */
export function parseValueOptions(pairs: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--value needs key=value, got ${JSON.stringify(pair)}`);
    const raw = pair.slice(at + 1);
    const json = /^(-?\d+(\.\d+)?|true|false|".*")$/s.test(raw);
    values[pair.slice(0, at)] = json ? JSON.parse(raw) : raw;
  }
  return values;
}
