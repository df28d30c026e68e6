CREATE TYPE "public"."step_run_end_reason" AS ENUM('lease_expired', 'worker_shutdown');--> statement-breakpoint
ALTER TABLE "step_runs" ADD COLUMN "end_reason" "step_run_end_reason";--> statement-breakpoint
-- Runs ended before this column existed said why only in their error text, which the engine wrote
-- in exactly these two forms (engine/maintenance.ts); read it once here so that poison-step
-- counting, which now reads the column, keeps the losses already recorded. Only the engine's own
-- endings (interrupted, or cancelled on an ended instance) are matched: a step's failure may say anything.
UPDATE "step_runs" SET "end_reason" = 'lease_expired'
  WHERE "status" IN ('interrupted', 'cancelled') AND "error" LIKE 'Lease expired: worker % stopped heartbeating';--> statement-breakpoint
UPDATE "step_runs" SET "end_reason" = 'worker_shutdown'
  WHERE "status" = 'interrupted' AND "error" LIKE 'Released by worker % shutting down';
