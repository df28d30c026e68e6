DROP INDEX "instances_workflow_idx";--> statement-breakpoint
CREATE INDEX "instances_status_workflow_idx" ON "instances" USING btree ("status","workflow_key","updated_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_created_idx" ON "instances" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_status_created_idx" ON "instances" USING btree ("status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "instances_input_idx" ON "instances" USING gin ("input" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "instances_workflow_idx" ON "instances" USING btree ("workflow_key","updated_at" DESC NULLS LAST,"id" DESC NULLS LAST);