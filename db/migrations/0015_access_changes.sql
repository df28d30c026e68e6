CREATE TABLE "access_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject_id" uuid NOT NULL,
	"subject_email" text NOT NULL,
	"action" text NOT NULL,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_changes_action" CHECK ("access_changes"."action" in ('user_created', 'role_changed', 'groups_changed', 'token_issued'))
);
--> statement-breakpoint
ALTER TABLE "access_changes" ADD CONSTRAINT "access_changes_subject_id_users_id_fk" FOREIGN KEY ("subject_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_changes_time_idx" ON "access_changes" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE FUNCTION flowgate_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER access_changes_no_update BEFORE UPDATE OR DELETE ON access_changes
  FOR EACH ROW EXECUTE FUNCTION flowgate_append_only();
--> statement-breakpoint
CREATE TRIGGER access_changes_no_truncate BEFORE TRUNCATE ON access_changes
  FOR EACH STATEMENT EXECUTE FUNCTION flowgate_append_only();
