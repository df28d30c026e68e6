ALTER TYPE "public"."history_action" ADD VALUE 'queued' BEFORE 'paused';--> statement-breakpoint
CREATE TABLE "maintenance_window_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"window_id" uuid NOT NULL,
	"action" text NOT NULL,
	"reason" text,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "maintenance_windows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"title" text NOT NULL,
	"workflow_keys" text[] NOT NULL,
	"reason" text NOT NULL,
	"category" "reason_category" DEFAULT 'maintenance' NOT NULL,
	"cron" text,
	"timezone" text,
	"duration_minutes" integer,
	"next_start_at" timestamp (3) with time zone NOT NULL,
	"next_end_at" timestamp (3) with time zone NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"active_since" timestamp (3) with time zone,
	"created_by_id" uuid,
	"created_by_label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"cancelled_at" timestamp (3) with time zone,
	"cancelled_by_label" text,
	"cancel_reason" text,
	CONSTRAINT "maintenance_window_state" CHECK ("maintenance_windows"."state" in ('scheduled', 'active', 'done', 'cancelled')),
	CONSTRAINT "maintenance_window_times" CHECK ("maintenance_windows"."next_end_at" > "maintenance_windows"."next_start_at"),
	CONSTRAINT "maintenance_window_reason_length" CHECK (char_length("maintenance_windows"."reason") between 1 and 500),
	CONSTRAINT "maintenance_window_workflows" CHECK (cardinality("maintenance_windows"."workflow_keys") between 1 and 50),
	CONSTRAINT "maintenance_window_recurrence" CHECK (("maintenance_windows"."cron" is null) = ("maintenance_windows"."duration_minutes" is null) and ("maintenance_windows"."cron" is null) = ("maintenance_windows"."timezone" is null))
);
--> statement-breakpoint
CREATE TABLE "workflow_start_policies" (
	"workflow_key" text PRIMARY KEY NOT NULL,
	"policy" text NOT NULL,
	"queue_ttl_seconds" integer,
	"set_by_id" uuid,
	"set_by_label" text NOT NULL,
	"set_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_start_policy" CHECK ("workflow_start_policies"."policy" in ('refuse', 'queue')),
	CONSTRAINT "workflow_start_policy_ttl" CHECK ("workflow_start_policies"."queue_ttl_seconds" is null or "workflow_start_policies"."queue_ttl_seconds" between 1 and 31536000)
);
--> statement-breakpoint
ALTER TABLE "workflow_hold_log" DROP CONSTRAINT "workflow_hold_log_action";--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "queued_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "queue_expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "maintenance_window_log" ADD CONSTRAINT "maintenance_window_log_window_id_maintenance_windows_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."maintenance_windows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "maintenance_windows" ADD CONSTRAINT "maintenance_windows_created_by_id_users_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_start_policies" ADD CONSTRAINT "workflow_start_policies_set_by_id_users_id_fk" FOREIGN KEY ("set_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "maintenance_window_log_window_idx" ON "maintenance_window_log" USING btree ("window_id","id");--> statement-breakpoint
CREATE INDEX "maintenance_windows_due_idx" ON "maintenance_windows" USING btree ("state","next_start_at");--> statement-breakpoint
CREATE INDEX "instances_queued_idx" ON "instances" USING btree ("workflow_key","queued_at","id") WHERE "instances"."status" = 'pending' and "instances"."queued_at" is not null;--> statement-breakpoint
ALTER TABLE "workflow_hold_log" ADD CONSTRAINT "workflow_hold_log_action" CHECK ("workflow_hold_log"."action" in ('held', 'released', 'policy_changed'));--> statement-breakpoint
-- hand-written: the window log is evidence, like history: no UPDATE, DELETE or TRUNCATE (and db/roles.ts grants the app role INSERT and SELECT only, since it finds this trigger).
CREATE TRIGGER maintenance_window_log_no_update BEFORE UPDATE OR DELETE ON maintenance_window_log
  FOR EACH ROW EXECUTE FUNCTION flowgate_append_only();
--> statement-breakpoint
CREATE TRIGGER maintenance_window_log_no_truncate BEFORE TRUNCATE ON maintenance_window_log
  FOR EACH STATEMENT EXECUTE FUNCTION flowgate_append_only();
