CREATE TYPE "public"."history_action" AS ENUM('started', 'paused', 'resumed', 'force_resumed', 'step_started', 'step_completed', 'step_failed', 'step_interrupted', 'waiting', 'gate_requested', 'gate_approved', 'gate_rejected', 'gate_expired', 'gate_delegated', 'completed', 'failed', 'cancelled', 'timed_out');--> statement-breakpoint
CREATE TYPE "public"."instance_status" AS ENUM('pending', 'running', 'waiting', 'paused', 'completed', 'failed', 'cancelled', 'timed_out');--> statement-breakpoint
CREATE TYPE "public"."pause_kind" AS ENUM('manual', 'programmatic', 'checkpoint', 'scheduled');--> statement-breakpoint
CREATE TYPE "public"."pause_mode" AS ENUM('graceful', 'immediate');--> statement-breakpoint
CREATE TYPE "public"."step_run_status" AS ENUM('pending', 'running', 'completed', 'failed', 'interrupted', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('operator', 'approver', 'auditor', 'admin');--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_tokenHash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"version" text DEFAULT '1.0.0' NOT NULL,
	"instance_id" uuid,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"action" "history_action" NOT NULL,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"reason" text,
	"from_status" "instance_status",
	"to_status" "instance_status",
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"workflow_key" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"workflow_key" text NOT NULL,
	"status" "instance_status" DEFAULT 'pending' NOT NULL,
	"current_steps" text[] DEFAULT '{}'::text[] NOT NULL,
	"input" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_by_id" uuid,
	"started_by_label" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"paused_at" timestamp with time zone,
	"paused_by_id" uuid,
	"paused_by_label" text,
	"pause_reason" text,
	"pause_mode" "pause_mode",
	"pause_kind" "pause_kind",
	"resume_at" timestamp with time zone,
	"paused_from_status" "instance_status",
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "pause_reason_length" CHECK (char_length("instances"."pause_reason") <= 500)
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "step_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"attempt" integer DEFAULT 1 NOT NULL,
	"status" "step_run_status" DEFAULT 'pending' NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"worker_id" text,
	"lease_expires_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"output" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"role" "user_role" NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "workflow_definitions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"steps" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "history" ADD CONSTRAINT "history_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_definition_id_workflow_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."workflow_definitions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_started_by_id_users_id_fk" FOREIGN KEY ("started_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_paused_by_id_users_id_fk" FOREIGN KEY ("paused_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "step_runs" ADD CONSTRAINT "step_runs_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_unpublished_idx" ON "events" USING btree ("id") WHERE "events"."published_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "history_instance_seq_idx" ON "history" USING btree ("instance_id","seq");--> statement-breakpoint
CREATE INDEX "history_created_idx" ON "history" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "history_actor_idx" ON "history" USING btree ("actor_label","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "history_action_idx" ON "history" USING btree ("action","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "history_workflow_idx" ON "history" USING btree ("workflow_key","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_status_updated_idx" ON "instances" USING btree ("status","updated_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_updated_idx" ON "instances" USING btree ("updated_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_workflow_idx" ON "instances" USING btree ("workflow_key","updated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "sessions_user_id_index" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "step_runs_instance_idx" ON "step_runs" USING btree ("instance_id","created_at");--> statement-breakpoint
CREATE INDEX "step_runs_claimable_idx" ON "step_runs" USING btree ("available_at") WHERE "step_runs"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "step_runs_lease_idx" ON "step_runs" USING btree ("lease_expires_at") WHERE "step_runs"."status" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_definitions_key_version_index" ON "workflow_definitions" USING btree ("key","version");