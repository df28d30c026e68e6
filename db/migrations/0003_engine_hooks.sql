CREATE TYPE "public"."resource_state" AS ENUM('held', 'releasing', 'released', 'reacquiring');--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "resources" "resource_state" DEFAULT 'held' NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "hook_lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "hook_worker_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "step_runs_live_once_idx" ON "step_runs" USING btree ("instance_id","step_key") WHERE "step_runs"."status" in ('pending', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "step_runs_completed_once_idx" ON "step_runs" USING btree ("instance_id","step_key") WHERE "step_runs"."status" = 'completed';