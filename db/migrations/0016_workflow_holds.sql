CREATE TABLE "workflow_hold_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workflow_key" text NOT NULL,
	"action" text NOT NULL,
	"reason" text,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_hold_log_action" CHECK ("workflow_hold_log"."action" in ('held', 'released'))
);
--> statement-breakpoint
CREATE TABLE "workflow_holds" (
	"workflow_key" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"held_by_id" uuid,
	"held_by_label" text NOT NULL,
	"held_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_hold_reason_length" CHECK (char_length("workflow_holds"."reason") between 1 and 500)
);
--> statement-breakpoint
ALTER TABLE "workflow_holds" ADD CONSTRAINT "workflow_holds_held_by_id_users_id_fk" FOREIGN KEY ("held_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workflow_hold_log_key_time_idx" ON "workflow_hold_log" USING btree ("workflow_key","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE TRIGGER workflow_hold_log_no_update BEFORE UPDATE OR DELETE ON workflow_hold_log
  FOR EACH ROW EXECUTE FUNCTION flowgate_append_only();
--> statement-breakpoint
CREATE TRIGGER workflow_hold_log_no_truncate BEFORE TRUNCATE ON workflow_hold_log
  FOR EACH STATEMENT EXECUTE FUNCTION flowgate_append_only();
