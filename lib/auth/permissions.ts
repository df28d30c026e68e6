import type { Role } from "@/db/schema";
import { forbidden, unauthenticated } from "@/lib/errors";

export type Permission =
  | "instances:read"
  | "history:read"
  | "instances:pause"
  | "instances:resume"
  | "instances:start"
  | "instances:cancel"
  | "instances:retry"
  | "workflows:pause"
  | "workflows:resume"
  | "workflows:policy"
  | "windows:manage"
  | "gates:decide"
  | "gates:decide-any-role"
  | "access:read"
  | "users:manage"
  | "webhooks:manage"
  | "tokens:own"
  | "views:save"
  | "views:delete-shared"
  | "notifications:manage"
  | "notifications:own";

// Everyone signed in may hold API tokens of their own (the CLI, scripts), for what their role allows,
// and choose which notifications they get (only people who may decide a gate are sent any).
// Everyone who reads the list may save views of it (their own, or shared with the team).
const readAll: Permission[] = ["instances:read", "history:read", "tokens:own", "views:save", "notifications:own"];
const operate: Permission[] = [
  "instances:pause",
  "instances:resume",
  "instances:start",
  "instances:cancel",
  "instances:retry",
  "workflows:pause",
  "workflows:resume",
  // What a paused workflow does with new starts (refuse or queue), and planned pauses: operators' calls.
  "workflows:policy",
  "windows:manage",
];

/** The role matrix, in one place: auditors read, operators operate, approvers sign, admins do all. */
const grants: Record<Role, ReadonlySet<Permission>> = {
  // Who changed whose access is for the people who audit and the people who grant it.
  auditor: new Set([...readAll, "access:read"]),
  operator: new Set([...readAll, ...operate]),
  approver: new Set([...readAll, "gates:decide"]),
  // Admins may also decide a gate that names another role (approverRole), never one that names people.
  admin: new Set([...readAll, ...operate, "gates:decide", "gates:decide-any-role", "access:read", "users:manage", "webhooks:manage", "views:delete-shared", "notifications:manage"]),
};

export type SessionUser = { id: string; email: string; name: string; role: Role; groups?: string[] };

export function can(user: SessionUser | null | undefined, permission: Permission): boolean {
  return !!user && grants[user.role].has(permission);
}

/** Throws 401 without a user and 403 without the permission; returns the user otherwise. */
export function authorize(user: SessionUser | null | undefined, permission: Permission): SessionUser {
  if (!user) throw unauthenticated();
  if (!grants[user.role].has(permission)) throw forbidden(`The ${user.role} role cannot ${describe[permission]}`);
  return user;
}

export const actorOf = (user: SessionUser) => ({ id: user.id, label: user.email });

/**
 * Whether `user` may list, issue and revoke the API tokens of the user `ownerId`: their own with
 * `tokens:own`, anyone's with `users:manage`. Throws like `authorize` otherwise.
 */
export function authorizeTokensOf(user: SessionUser | null | undefined, ownerId: string): SessionUser {
  return authorize(user, user?.id === ownerId ? "tokens:own" : "users:manage");
}

const describe: Record<Permission, string> = {
  "instances:read": "read instances",
  "history:read": "read history",
  "instances:pause": "pause instances",
  "instances:resume": "resume instances",
  "instances:start": "start instances",
  "instances:cancel": "cancel instances",
  "instances:retry": "retry failed instances",
  "workflows:pause": "pause workflows",
  "workflows:resume": "resume workflows",
  "workflows:policy": "change what a paused workflow does with new starts",
  "windows:manage": "manage maintenance windows",
  "gates:decide": "decide approval gates",
  "gates:decide-any-role": "decide gates meant for another role",
  "access:read": "read the access log",
  "users:manage": "manage users",
  // Subscriptions send every event (access changes included) to a URL of the admin's choosing.
  "webhooks:manage": "manage webhooks",
  "tokens:own": "hold API tokens",
  "views:save": "save list views",
  // A shared view nobody owns any more (or a misleading one) is the team's clutter; admins tidy it.
  "views:delete-shared": "delete other people's shared views",
  // Channels post to a chat of the admin's choosing; the log shows who was told what.
  "notifications:manage": "manage notification channels",
  "notifications:own": "choose their notifications",
};
