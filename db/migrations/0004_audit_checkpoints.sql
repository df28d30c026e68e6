CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"verified_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"through_id" integer NOT NULL,
	"rows" integer NOT NULL,
	"chains" integer NOT NULL,
	"heads_hash" text NOT NULL,
	"ok" text NOT NULL,
	"broken_history_id" integer,
	"problem" text,
	"duration_ms" integer NOT NULL
);
