import { createHash } from "node:crypto";
import type postgres from "postgres";

/**
 * Least privilege (DESIGN invariant 12). Migrations run as the owner of the tables (the embedded
 * cluster's superuser, or your DATABASE_OWNER_URL); the dashboard and the worker connect as an
 * app role that may read and write the working tables but only read and insert into the
 * append-only ones (history, audit_checkpoints, access_changes, workflow_hold_log). It is not a
 * superuser and owns nothing, so it can neither disable their triggers (ALTER TABLE needs the
 * owner), nor set session_replication_role (superuser only), nor UPDATE, DELETE or TRUNCATE them
 * (no grant), whatever the triggers say.
 */

/** The app role's name in the embedded default. */
export const EMBEDDED_APP_ROLE = "flowgate_app";

/**
 * The app role's URL beside an owner URL on the same server and database: `role`, and a password
 * derived from the owner's (so the embedded default needs no secret of its own; with your own
 * PostgreSQL you give DATABASE_URL with the app role's real password instead).
 */
export function appRoleUrl(ownerUrl: string, role = EMBEDDED_APP_ROLE): string {
  const url = new URL(ownerUrl);
  const password = createHash("sha256").update(`flowgate-app-role:${decodeURIComponent(url.password)}`).digest("hex").slice(0, 32);
  url.username = role;
  url.password = password;
  return url.toString();
}

const identifier = /^[a-z_][a-z0-9_]*$/;

/** Tables whose rows are evidence: those guarded by an append-only trigger (the migrations are the one list). */
async function appendOnlyTables(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ relname: string }[]>`
    select distinct c.relname from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_proc p on p.oid = t.tgfoid
    where c.relnamespace = 'public'::regnamespace and p.proname in ('flowgate_append_only', 'flowgate_history_is_append_only')
    order by 1`;
  return rows.map((r) => r.relname);
}

/**
 * Makes the role in `appUrl` the app's least-privileged role, as the owner connected by `sql`
 * (run after every migration, so new tables are covered): creates it with the URL's password if
 * missing (needs CREATEROLE or a superuser owner; otherwise create it yourself, see the README),
 * refuses a role that is a superuser, may bypass row security, or is a member of the owner or of
 * the server file/program roles, and grants: USAGE on schema
 * public; SELECT, INSERT, UPDATE, DELETE on every table and USAGE, SELECT on every sequence, now
 * and for tables the owner creates later; then takes UPDATE and DELETE back on the append-only
 * tables. Never TRUNCATE, REFERENCES or TRIGGER. Does nothing when `appUrl`'s user is the owner
 * itself (one URL for everything: the old single-role set-up, which the README warns against).
 * Throws on an odd role name or a role with any of those powers.
 */
export async function ensureAppRole(sql: postgres.Sql, appUrl: string): Promise<{ role: string; applied: boolean }> {
  const url = new URL(appUrl);
  const role = decodeURIComponent(url.username);
  const [{ owner }] = (await sql`select current_user as owner`) as unknown as [{ owner: string }];
  if (!role || role === owner) return { role: owner, applied: false };
  if (!identifier.test(role)) throw new Error(`Refusing odd app role name ${role}`);

  const [existing] = await sql<{ rolsuper: boolean; rolbypassrls: boolean; powers: string[] }[]>`
    select rolsuper, rolbypassrls,
      -- Roles whose membership would hand back what the grants take away: the owner's own (its
      -- tables, so DISABLE TRIGGER), and the server file and program roles (they reach the files
      -- outside the database: the signed checkpoints).
      array(select p from unnest(array[${owner}::text, 'pg_write_server_files', 'pg_read_server_files', 'pg_execute_server_program']) p
            where pg_has_role(r.oid, p, 'MEMBER')) as powers
    from pg_roles r where rolname = ${role}`;
  if (!existing) {
    // CREATE ROLE takes no bind parameters; the password is quoted by the server's own quote_literal.
    const [{ literal }] = (await sql`select quote_literal(${decodeURIComponent(url.password)}) as literal`) as unknown as [{ literal: string }];
    await sql.unsafe(`create role ${role} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password ${literal}`).catch((error: unknown) => {
      // Two processes migrating at once (test files, several dashboards) may race to create it.
      if ((error as { code?: string }).code !== "42710") throw error;
    });
  } else if (existing.rolsuper || existing.rolbypassrls || existing.powers.length > 0) {
    const why = existing.rolsuper ? "is a superuser" : existing.rolbypassrls ? "bypasses row security" : `is a member of ${existing.powers.join(", ")}`;
    throw new Error(`The app role ${role} ${why}; give the app a plain role (see README, "Database roles and signed checkpoints")`);
  }

  const tables = await appendOnlyTables(sql);
  await sql.begin(async (tx) => {
    await tx.unsafe(`grant usage on schema public to ${role}`);
    await tx.unsafe(`grant select, insert, update, delete on all tables in schema public to ${role}`);
    await tx.unsafe(`grant usage, select on all sequences in schema public to ${role}`);
    // Tables and sequences the owner creates later (a new migration, a test's own table) too.
    await tx.unsafe(`alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`);
    await tx.unsafe(`alter default privileges in schema public grant usage, select on sequences to ${role}`);
    for (const table of tables) await tx.unsafe(`revoke update, delete, truncate, trigger, references on ${table} from ${role}`);
  });
  return { role, applied: true };
}
