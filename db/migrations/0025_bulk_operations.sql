CREATE TABLE "bulk_operation_items" (
	"operation_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"code" text,
	"message" text,
	"done_at" timestamp (3) with time zone,
	CONSTRAINT "bulk_operation_items_operation_id_instance_id_pk" PRIMARY KEY("operation_id","instance_id"),
	CONSTRAINT "bulk_operation_items_status" CHECK ("bulk_operation_items"."status" in ('pending', 'succeeded', 'refused', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "bulk_operations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"action" text NOT NULL,
	"filter" jsonb NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"reason" text,
	"mode" "pause_mode",
	"force" boolean DEFAULT false NOT NULL,
	"category" "reason_category",
	"ticket_url" text,
	"matched" integer NOT NULL,
	"rate_per_second" integer,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone,
	"cancelled_by_label" text,
	"cancel_reason" text,
	CONSTRAINT "bulk_operations_action" CHECK ("bulk_operations"."action" in ('pause', 'resume')),
	CONSTRAINT "bulk_operations_state" CHECK ("bulk_operations"."state" in ('running', 'completed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "bulk_operation_items" ADD CONSTRAINT "bulk_operation_items_operation_id_bulk_operations_id_fk" FOREIGN KEY ("operation_id") REFERENCES "public"."bulk_operations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_operation_items" ADD CONSTRAINT "bulk_operation_items_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_operations" ADD CONSTRAINT "bulk_operations_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bulk_operation_items_next_idx" ON "bulk_operation_items" USING btree ("operation_id","seq") WHERE "bulk_operation_items"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "bulk_operation_items_status_idx" ON "bulk_operation_items" USING btree ("operation_id","status");--> statement-breakpoint
CREATE INDEX "bulk_operations_recent_idx" ON "bulk_operations" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "bulk_operations_running_idx" ON "bulk_operations" USING btree ("lease_expires_at") WHERE "bulk_operations"."state" = 'running';