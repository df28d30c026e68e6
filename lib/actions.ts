import "server-only";
import { getDb, type Db } from "@/db/client";
import { authorize, type Permission, type SessionUser } from "@/lib/auth/permissions";
import { currentUser } from "@/lib/auth/current-user";
import { knownError } from "@/lib/db-unavailable";
import { log } from "@/lib/log";
import type { ActionState } from "./action-state";

/**
 * The one wrapper for server actions: session → role → the use case (which validates with zod
 * and owns the rule) → a typed result for useActionState. Never throws to the client.
 */
export async function runAction(
  permission: Permission,
  formData: FormData,
  act: (ctx: { db: Db; user: SessionUser; form: Record<string, string> }) => Promise<string>,
): Promise<ActionState> {
  const form = Object.fromEntries([...formData.entries()].filter(([k, v]) => !k.startsWith("$") && typeof v === "string")) as Record<string, string>;
  try {
    const user = authorize(await currentUser(), permission);
    const message = await act({ db: getDb(), user, form });
    log.info({ permission, user: user.email }, "action done");
    return { status: "success", message, at: Date.now() };
  } catch (error) {
    // A lost database reads as "unreachable, try again" (lib/db-unavailable.ts), not as a bug.
    const known = knownError(error);
    if (known) {
      log.info({ permission, code: known.code, message: known.message }, "action refused");
      return { status: "error", message: known.message, fields: known.fields, values: form, at: Date.now() };
    }
    log.error({ err: error, permission }, "server action failed");
    return { status: "error", message: "Something went wrong on our side; it has been logged", values: form, at: Date.now() };
  }
}
