import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getDb } from "@/db/client";
import { can, type Permission, type SessionUser } from "./permissions";
import { SESSION_COOKIE, userForSession } from "./sessions";

/** The signed-in user of this request, looked up once per render. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userForSession(getDb(), token);
});

/** For pages: sends anonymous visitors to sign in and answers a missing permission with the forbidden page. */
export async function requirePage(permission: Permission): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  if (!can(user, permission)) redirect(`/forbidden?need=${encodeURIComponent(permission)}`);
  return user;
}
