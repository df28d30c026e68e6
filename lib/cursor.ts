import { z } from "zod";
import { invalid } from "./errors";

/** Opaque keyset cursors: base64url of a small JSON tuple, validated on the way back in. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string | undefined): z.output<S> | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the same error as a well-formed but wrong cursor
  }
  throw invalid("The cursor is not valid; start from the first page", { cursor: ["Invalid cursor"] });
}

export const limitSchema = z.coerce.number().int().min(1).max(100).default(25);
