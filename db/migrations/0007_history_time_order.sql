DROP INDEX "history_action_idx";--> statement-breakpoint
DROP INDEX "history_workflow_idx";--> statement-breakpoint
DROP INDEX "history_category_idx";--> statement-breakpoint
CREATE INDEX "history_action_time_idx" ON "history" USING btree ("action","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "history_workflow_time_idx" ON "history" USING btree ("workflow_key","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "history_category_time_idx" ON "history" USING btree (("details"->>'category'),"created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
DROP INDEX IF EXISTS "history_actor_prefix_idx";
--> statement-breakpoint
-- A full email is matched exactly (ordered straight from this index); anything shorter is a prefix.
CREATE INDEX "history_actor_time_idx" ON "history" USING btree (lower("actor_label") text_pattern_ops, "created_at" DESC, "id" DESC);
