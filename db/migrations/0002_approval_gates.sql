CREATE TYPE "public"."gate_decision_kind" AS ENUM('approve', 'reject');--> statement-breakpoint
CREATE TYPE "public"."gate_mode" AS ENUM('any', 'n_of_m', 'all', 'per_role');--> statement-breakpoint
CREATE TYPE "public"."gate_status" AS ENUM('pending', 'approved', 'rejected', 'expired', 'withdrawn');--> statement-breakpoint
ALTER TYPE "public"."history_action" ADD VALUE 'gate_escalated' BEFORE 'completed';--> statement-breakpoint
ALTER TYPE "public"."history_action" ADD VALUE 'gate_withdrawn' BEFORE 'completed';--> statement-breakpoint
CREATE TABLE "gate_decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"gate_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"user_label" text NOT NULL,
	"user_role" "user_role" NOT NULL,
	"decision" "gate_decision_kind" NOT NULL,
	"comment" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gate_delegations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"gate_id" uuid NOT NULL,
	"from_user_id" uuid NOT NULL,
	"from_label" text NOT NULL,
	"to_user_id" uuid NOT NULL,
	"to_label" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"stage" text NOT NULL,
	"instructions" text DEFAULT '' NOT NULL,
	"mode" "gate_mode" NOT NULL,
	"required" integer NOT NULL,
	"approver_role" "user_role",
	"approvers" text[] DEFAULT '{}'::text[] NOT NULL,
	"roles" "user_role"[] DEFAULT '{}'::user_role[] NOT NULL,
	"status" "gate_status" DEFAULT 'pending' NOT NULL,
	"requested_by_id" uuid,
	"requested_by_label" text NOT NULL,
	"requested_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"on_expiry" text DEFAULT 'fail' NOT NULL,
	"escalate_at" timestamp with time zone,
	"escalate_to" text[] DEFAULT '{}'::text[] NOT NULL,
	"escalated_at" timestamp with time zone,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD CONSTRAINT "gate_decisions_gate_id_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."gates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_decisions" ADD CONSTRAINT "gate_decisions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_delegations" ADD CONSTRAINT "gate_delegations_gate_id_gates_id_fk" FOREIGN KEY ("gate_id") REFERENCES "public"."gates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_delegations" ADD CONSTRAINT "gate_delegations_from_user_id_users_id_fk" FOREIGN KEY ("from_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gate_delegations" ADD CONSTRAINT "gate_delegations_to_user_id_users_id_fk" FOREIGN KEY ("to_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "gates" ADD CONSTRAINT "gates_requested_by_id_users_id_fk" FOREIGN KEY ("requested_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "gate_decisions_once_idx" ON "gate_decisions" USING btree ("gate_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "gate_delegations_once_idx" ON "gate_delegations" USING btree ("gate_id","from_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "gates_instance_step_idx" ON "gates" USING btree ("instance_id","step_key");--> statement-breakpoint
CREATE INDEX "gates_status_requested_idx" ON "gates" USING btree ("status","requested_at","id");--> statement-breakpoint
CREATE INDEX "gates_expiry_idx" ON "gates" USING btree ("expires_at") WHERE "gates"."status" = 'pending';