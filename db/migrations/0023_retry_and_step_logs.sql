ALTER TYPE "public"."history_action" ADD VALUE 'retried' BEFORE 'step_started';--> statement-breakpoint
CREATE TABLE "step_run_logs" (
	"run_id" uuid PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"lines" jsonb NOT NULL,
	"dropped" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "step_run_logs" ADD CONSTRAINT "step_run_logs_run_id_step_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."step_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "step_run_logs" ADD CONSTRAINT "step_run_logs_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "step_run_logs_instance_idx" ON "step_run_logs" USING btree ("instance_id");