/** What a server action hands back to useActionState; safe to import from client components. */
export type ActionState = {
  status: "idle" | "success" | "error";
  message?: string;
  fields?: Record<string, string[]>;
  /** Echo of what was typed, so a refused form keeps the user's words. */
  values?: Record<string, string>;
  at?: number;
  /** A success that did not all go through (a bulk command with refusals) is a warning, not a green toast. */
  tone?: "success" | "warning";
};

export const idle: ActionState = { status: "idle" };
