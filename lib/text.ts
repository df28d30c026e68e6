import { z } from "zod";

/*
 * The one definition of "acceptable text" and "acceptable date", shared by every schema at the
 * boundary (REST bodies, query strings, server actions) and by the client forms' live counters.
 * Only zod is imported, so client components may import this file.
 *
 * Why refuse rather than repair: PostgreSQL cannot store U+0000 in text or jsonb (the insert
 * fails, which used to be a 500), and an unpaired UTF-16 surrogate cannot be encoded as UTF-8,
 * so the driver stores U+FFFD instead while the history hash was computed over the original:
 * the audit chain then reported a row it had itself written as altered.
 */

/** Characters that are neither seen nor spaces a person would type: zero-width, BOM, joiners, soft hyphen, bidi marks, variation selectors, tags. */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}]/gu;
/** C0 controls other than tab, newline and carriage return; DEL; C1 controls. */
const CONTROL_MULTILINE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
/** In one-line fields (names, keys, filters) newlines and tabs are refused as well. */
const CONTROL_SINGLE_LINE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;
/** An unpaired surrogate (with the `u` flag, a well-formed pair is one code point and does not match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Every unpaired surrogate (with the `u` flag a well-formed pair is one code point), for replacing. */
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * Text Flowgate records but did not get from a person at the boundary (a step's error message or
 * pause reason, a hook's error): it cannot be refused, so it is made storable instead. NUL (which
 * PostgreSQL cannot store) and unpaired surrogates (which UTF-8 cannot carry, so the driver would
 * store U+FFFD while the history hash covered the original) become U+FFFD. Valid text is
 * returned unchanged, so applying it twice, or to text the boundary accepted, changes nothing.
 */
export function storableText(value: string): string {
  return value.replace(LONE_SURROGATES, "\uFFFD").replaceAll("\u0000", "\uFFFD");
}

/**
 * `storableText`, cut to at most `max` code points: never in the middle of a surrogate pair
 * (a UTF-16 `slice` could leave half an emoji, an unpaired surrogate).
 */
export function clipText(value: string, max: number): string {
  const clean = storableText(value);
  if (clean.length <= max) return clean;
  let out = "";
  let n = 0;
  for (const ch of clean) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

/** Length as people and the database count it: Unicode code points, not UTF-16 units ("😀" is 1). */
export function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** True when nothing visible remains once whitespace and invisible characters (zero-width space, BOM, …) are removed. */
export function isBlank(value: string): boolean {
  return value.replace(INVISIBLE, "") === "";
}

/**
 * How every accepted text is stored and hashed: Unicode NFC (so "é" typed two ways is one
 * string, in search as in the hash) with surrounding whitespace trimmed. Idempotent.
 */
export function normaliseText(value: string): string {
  return value.normalize("NFC").trim();
}

/**
 * Why a string cannot be accepted at all, or undefined. `label` names the field in the message.
 * @param multiline whether tab, newline and carriage return are allowed (reasons, comments).
 */
export function textProblem(value: string, label: string, multiline = false): string | undefined {
  const control = (multiline ? CONTROL_MULTILINE : CONTROL_SINGLE_LINE).exec(value);
  if (control) return `${label} contains a control character (U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}); remove it`;
  if (LONE_SURROGATE.test(value)) return `${label} contains broken Unicode (an unpaired surrogate); retype it`;
  return undefined;
}

/**
 * What a form shows while someone types, by the same rules as the server: `length` in code
 * points of the normalised value, `blank` (nothing visible), `tooLong`, and `invalid` (the
 * submit button stays disabled) when blank but required, or too long.
 */
export function textFieldStatus(value: string, options: { max: number; required: boolean }): { length: number; tooLong: boolean; blank: boolean; invalid: boolean } {
  const normalised = normaliseText(value);
  const blank = isBlank(normalised);
  const length = blank ? 0 : codePointLength(normalised);
  const tooLong = length > options.max;
  return { length, tooLong, blank, invalid: tooLong || (options.required && blank) };
}

export type TextOptions = {
  /** Names the field in messages ("Reason contains a control character…"). */
  label: string;
  /** Most code points allowed after normalising. */
  max: number;
  /** Message when blank (empty, spaces, or only invisible characters). Without it, blank reads as absent (undefined). */
  required?: string;
  /** Allow tab, newline and carriage return. */
  multiline?: boolean;
  /** Message when too long; defaults to "Keep the <label> to <max> characters". */
  tooLong?: string;
};

function checkedText(options: TextOptions) {
  const { label, max, required, multiline = false } = options;
  const tooLong = options.tooLong ?? `Keep the ${label.toLowerCase()} to ${max} characters`;
  // A transform has no JSON Schema of its own: the OpenAPI document (lib/api/openapi.ts) shows
  // its input side, a plain string, so the rule is stated here, beside the code that enforces it.
  const description = `${label}: ${required ? "1" : "0"}–${max} characters (code points, after trimming and Unicode NFC)${required ? "" : "; blank reads as absent"}; ${multiline ? "tabs and newlines allowed, no other" : "one line, no"} control characters or unpaired surrogates`;
  return z.string({ error: `${label} must be text` }).meta({ description }).transform((raw, ctx): string | undefined => {
    const problem = textProblem(raw, label, multiline);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    const value = normaliseText(raw);
    if (isBlank(value)) {
      if (!required) return undefined;
      ctx.addIssue({ code: "custom", message: required });
      return z.NEVER;
    }
    if (codePointLength(value) > max) {
      ctx.addIssue({ code: "custom", message: tooLong });
      return z.NEVER;
    }
    return value;
  });
}

/**
 * A required text field: refuses non-strings, control characters and unpaired surrogates,
 * normalises (NFC, trimmed), refuses blank (including only zero-width characters) with
 * `required`, and more than `max` code points. Output: the normalised string.
 */
export function requiredText(options: TextOptions & { required: string }): z.ZodType<string, unknown> {
  return checkedText(options) as z.ZodType<string, unknown>;
}

/**
 * An optional text field: like requiredText, but absent, empty or blank input is `undefined`.
 * Output: the normalised string or undefined.
 */
export function optionalText(options: Omit<TextOptions, "required">) {
  return checkedText(options).optional();
}

// ISO 8601 calendar date, optionally with a time and a zone; a time without a zone is UTC (the
// forms say so). Years have exactly four digits: "+275760-09-13" and "-010000-01-01" are refused.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Earliest and latest instants any date field accepts: inside what PostgreSQL and JavaScript both represent exactly. */
export const DATE_MIN = new Date("1970-01-01T00:00:00.000Z");
export const DATE_MAX = new Date("9999-12-31T23:59:59.999Z");

/**
 * Parses a strict ISO 8601 date or date-time, or returns undefined: no day 30 of February, no
 * hour 24, no expanded years, no numbers or arrays. A bare day is its start (or, with
 * `endOfDay`, its last millisecond), UTC.
 */
export function parseIsoDate(value: string, endOfDay = false): Date | undefined {
  const m = ISO.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h ?? 0), minute = Number(mi ?? 0), second = Number(s ?? 0);
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  // Date.UTC rolls 30 February over into March; the round trip catches it.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const oh = Number(zm[2]), om = Number(zm[3]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zm[1] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const instant = local - offsetMinutes * 60_000 + (endOfDay && h === undefined ? 86_400_000 - 1 : 0);
  return new Date(instant);
}

/**
 * A date field: an ISO 8601 string (see parseIsoDate), between DATE_MIN and DATE_MAX. Empty
 * input reads as absent. A Date object (only code can pass one; JSON and forms cannot) is
 * held to the same range. Output: a Date, or undefined.
 */
export function isoDate(options: { label: string; endOfDay?: boolean }) {
  const { label, endOfDay = false } = options;
  const name = label.toLowerCase();
  return z
    .union([z.string(), z.date()], { error: `Give the ${name} as an ISO 8601 date, like 2027-01-31 or 2027-01-31T09:00Z` })
    // JSON can only send the string; the document (lib/api/openapi.ts) shows this input side.
    .meta({ description: `${label}: an ISO 8601 date or date-time between 1970 and 9999, like 2027-01-31 or 2027-01-31T09:00Z (no zone: UTC${endOfDay ? "; a bare date means its whole day" : ""})`, examples: ["2027-01-31T09:00Z"] })
    .transform((raw, ctx): Date | undefined => {
      if (typeof raw === "string" && raw.trim() === "") return undefined;
      const date = typeof raw === "string" ? parseIsoDate(raw, endOfDay) : Number.isNaN(raw.getTime()) ? undefined : raw;
      if (!date) {
        ctx.addIssue({ code: "custom", message: `Give the ${name} as a real ISO 8601 date, like 2027-01-31 or 2027-01-31T09:00Z` });
        return z.NEVER;
      }
      if (date < DATE_MIN || date > DATE_MAX) {
        ctx.addIssue({ code: "custom", message: `The ${name} must be between 1970 and 9999` });
        return z.NEVER;
      }
      return date;
    })
    .optional();
}

/**
 * Checks every string (and key) inside an arbitrary JSON value, such as a workflow's start
 * input, with textProblem; the first problem found, naming its path, or undefined.
 * @param depth how deep the value may nest; deeper values are refused (hashing and schemas recurse).
 */
export function jsonProblem(value: unknown, label: string, depth = 32): string | undefined {
  const walk = (v: unknown, path: string, level: number): string | undefined => {
    if (level > depth) return `${label} nests deeper than ${depth} levels`;
    if (typeof v === "string") return textProblem(v, path, true);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], `${path}[${i}]`, level + 1);
        if (p) return p;
      }
      return undefined;
    }
    if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        const p = textProblem(k, `A key in ${path}`, false) ?? walk(child, `${path}.${k}`, level + 1);
        if (p) return p;
      }
    }
    return undefined;
  };
  return walk(value, label, 0);
}
