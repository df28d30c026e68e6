/** What a server action hands back to useActionState; safe to import from client components. */
export type ActionState = {
  status: "idle" | "success" | "error";
  message?: string;
  fields?: Record<string, string[]>;
  /** Echo of what was typed, so a refused form keeps the user's words. */
  values?: Record<string, string>;
  at?: number;
};

export const idle: ActionState = { status: "idle" };
