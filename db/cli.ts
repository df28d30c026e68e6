/**
 * Database chores: `migrate`, `seed`, `reset` (drop everything, migrate, seed) and
 * `create-user <email> <role> <password>`. Uses DATABASE_OWNER_URL (else DATABASE_URL), or the embedded cluster.
 */
import { sql } from "drizzle-orm";
import { hashPassword } from "@/lib/auth/password";
import { createDb } from "./client";
import { resolveDatabase } from "./local";
import { migrateDatabase } from "./migrate";
import { roles, users, type Role } from "./schema";
import { seedDatabase } from "./seed";

async function main() {
  const [command, ...args] = process.argv.slice(2);
  // Chores run as the tables' owner; migrate also (re)grants the app role its least privileges.
  const { url: appUrl, ownerUrl: url, embedded } = await resolveDatabase();
  const demo = !process.env.DATABASE_URL || process.env.FLOWGATE_DEMO === "1";
  const { sql: client, db } = createDb(url, { max: 2 });
  try {
    switch (command) {
      case "migrate":
        await migrateDatabase(url, { appUrl });
        console.log("migrations applied");
        break;
      case "seed":
        await seedDatabase(db, { demo, onProgress: (m) => console.log(`seed: ${m}`) });
        break;
      case "reset":
        await db.execute(sql`drop schema if exists public cascade`);
        await db.execute(sql`drop schema if exists drizzle cascade`);
        await db.execute(sql`create schema public`);
        await migrateDatabase(url, { appUrl });
        await seedDatabase(db, { demo, onProgress: (m) => console.log(`seed: ${m}`) });
        console.log("database reset");
        break;
      case "create-user": {
        const [email, role, password] = args;
        if (!email || !roles.includes(role as Role) || !password || password.length < 12) {
          throw new Error(`usage: create-user <email> <${roles.join("|")}> <password of 12+ characters>`);
        }
        await db.insert(users).values({ email: email.toLowerCase(), name: email.split("@")[0]!, role: role as Role, passwordHash: await hashPassword(password) });
        console.log(`created ${role} ${email}`);
        break;
      }
      default:
        throw new Error("usage: tsx db/cli.ts migrate|seed|reset|create-user");
    }
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
