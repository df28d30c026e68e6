ALTER TYPE "public"."gate_mode" ADD VALUE 'percent';--> statement-breakpoint
ALTER TYPE "public"."history_action" ADD VALUE 'steps_skipped' BEFORE 'hook_ran';--> statement-breakpoint
ALTER TYPE "public"."step_run_status" ADD VALUE 'skipped';--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD COLUMN "option" text;--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD COLUMN "values" jsonb;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "expiry_step" text;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "percent" integer;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "form" jsonb;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "options" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "chosen_option" text;--> statement-breakpoint
ALTER TABLE "gates" ADD COLUMN "values" jsonb;--> statement-breakpoint
-- hand-written: a percent quorum is 1–100, and an expiry to a step names its step (and only then).
-- (No check may name the enum value 'percent' here: it was added in this same transaction.)
ALTER TABLE "gates" ADD CONSTRAINT "gates_percent_range" CHECK ("percent" IS NULL OR "percent" BETWEEN 1 AND 100);--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_expiry_step_named" CHECK (("on_expiry" = 'step') = ("expiry_step" IS NOT NULL));
