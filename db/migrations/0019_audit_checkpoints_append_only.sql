-- Audit checkpoints are evidence too: once written, a checkpoint is never changed or removed, so
-- deleting one cannot hide that rows it sealed have gone (issue 10). Same guard as history.
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION flowgate_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION flowgate_append_only();
