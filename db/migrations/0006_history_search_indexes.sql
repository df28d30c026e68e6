DROP INDEX "history_actor_idx";--> statement-breakpoint
-- Actor filter is a case-insensitive prefix ("alice" finds alice@example.com): a pattern-ops btree serves it.
CREATE INDEX "history_actor_prefix_idx" ON "history" USING btree (lower("actor_label") text_pattern_ops, "id" DESC);
--> statement-breakpoint
-- "Reason contains" is a substring search: trigrams let it use an index at ten million rows.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX "history_reason_trgm_idx" ON "history" USING gin ("reason" gin_trgm_ops);
