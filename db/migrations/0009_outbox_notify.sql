-- Every outbox row also wakes live dashboards: one NOTIFY per committed change, whoever wrote it
-- (a command, the engine, a sweep). Delivered at commit, never for a rolled-back change.
CREATE OR REPLACE FUNCTION flowgate_outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('flowgate_changes', json_build_object('type', NEW.type, 'instanceId', NEW.instance_id)::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION flowgate_outbox_notify();
