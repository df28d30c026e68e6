import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { can, type Permission, type SessionUser } from "./permissions";
import { SESSION_COOKIE, userForSession } from "./sessions";
import { PATH_HEADER, signInHref } from "@/lib/return-to";

/** The signed-in user of this request, looked up once per render. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userForSession(getDb(), token);
});

/** For pages: sends anonymous visitors (or an invalid session) to sign in and back, and answers a missing permission with the forbidden page. */
export async function requirePage(permission: Permission): Promise<SessionUser> {
  const user = await currentUser();
  // Back to this page after signing in (the proxy passes its path on; lib/return-to.ts checks it).
  if (!user) redirect(signInHref((await headers()).get(PATH_HEADER) ?? "/instances"));
  if (!can(user, permission)) redirect(`/forbidden?need=${encodeURIComponent(permission)}`);
  return user;
}
