import type { z } from "zod";
import { invalid } from "./errors";

/** Input as it arrives from a form or a request body: unchecked until parseInput has seen it. */
export type Untrusted = Record<string, unknown>;

/** Parses at the boundary; a failure is a typed `invalid` error with per-field messages. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const fields = fieldErrors(parsed.error);
    const first = Object.values(fields)[0]?.[0] ?? "Invalid input";
    throw invalid(first, fields);
  }
  return parsed.data;
}

/** zod issues keyed by field, the shape forms and the API both return. */
export function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "_";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
