ALTER TYPE "public"."history_action" ADD VALUE 'hook_ran' BEFORE 'completed';--> statement-breakpoint
ALTER TYPE "public"."history_action" ADD VALUE 'hook_failed' BEFORE 'completed';