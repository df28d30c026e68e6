-- Instances that ended before every ending went through endInstance (lib/instances/end-instance.ts)
-- could keep the hold they had when they ended: the pause fields (shown as "Paused by" in the
-- list), a scheduled resume, a lifecycle hook's lease. An ended instance is held by no one; clear
-- them as endInstance now does. The status and the history are untouched.
UPDATE "instances" SET
  "paused_at" = NULL,
  "paused_by_id" = NULL,
  "paused_by_label" = NULL,
  "pause_reason" = NULL,
  "pause_category" = NULL,
  "pause_ticket_url" = NULL,
  "pause_mode" = NULL,
  "pause_kind" = NULL,
  "paused_from_status" = NULL,
  "resume_at" = NULL,
  "hook_lease_expires_at" = NULL,
  "hook_worker_id" = NULL
WHERE "status" IN ('completed', 'failed', 'cancelled', 'timed_out')
  AND ("paused_at" IS NOT NULL OR "paused_by_id" IS NOT NULL OR "paused_by_label" IS NOT NULL OR "pause_reason" IS NOT NULL
    OR "pause_category" IS NOT NULL OR "pause_ticket_url" IS NOT NULL OR "pause_mode" IS NOT NULL OR "pause_kind" IS NOT NULL
    OR "paused_from_status" IS NOT NULL OR "resume_at" IS NOT NULL OR "hook_lease_expires_at" IS NOT NULL OR "hook_worker_id" IS NOT NULL);
