CREATE TYPE "public"."reason_category" AS ENUM('maintenance', 'incident', 'approval', 'dependency', 'cost', 'other');--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD COLUMN "category" "reason_category";--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD COLUMN "ticket_url" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "pause_category" "reason_category";--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "pause_ticket_url" text;--> statement-breakpoint
CREATE INDEX "history_category_idx" ON "history" USING btree (("details"->>'category'),"id" DESC NULLS LAST);