-- The engine's batch statements check their own row counts and abort themselves on a mismatch
-- (a run taken over mid-settle, a row changed under a stale plan): an error inside a statement
-- rolls back everything it wrote, where a check in the worker after the fact could not.
CREATE FUNCTION flowgate_assert(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION '%', message USING ERRCODE = 'FGA01';
  END IF;
  RETURN true;
END
$$;
