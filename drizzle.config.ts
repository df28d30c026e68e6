import { defineConfig } from "drizzle-kit";

export default defineConfig({
  schema: "./db/schema.ts",
  out: "./db/migrations",
  dialect: "postgresql",
  dbCredentials: { url: process.env.DATABASE_OWNER_URL || process.env.DATABASE_URL || "postgres://localhost/flowgate" },
  casing: "snake_case",
});
