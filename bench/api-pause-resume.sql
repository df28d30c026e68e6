-- bench:api's reference: the pause and resume transactions of lib/instances/pause-instance.ts and
-- resume-instance.ts, statement for statement, run by pgbench with no application in between.
-- No colon inside a literal: pgbench would read `:name` there as a variable.
-- Each run of the script is one command: a client pauses one of its own instances, and its next
-- run resumes that same instance (`phase` persists per client between runs), as the API side does.
-- Variables from bench/api.ts: per_client (instances each client owns), phase (starts at 0).
-- Instance k's id is lpad(to_hex(k), 32, '0')::uuid, which bench/api.ts seeds as running.
\set phase 1 - :phase
\if :phase
\set k :client_id * :per_client + random(1, :per_client)
BEGIN;
SELECT * FROM instances WHERE id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid FOR UPDATE;
UPDATE instances SET status = 'paused', paused_from_status = status, paused_at = now(), paused_by_id = NULL,
  paused_by_label = 'bench@flowgate.dev', pause_reason = 'bench - pause', pause_category = NULL, pause_ticket_url = NULL,
  pause_mode = 'graceful', pause_kind = 'manual', resume_at = NULL, version = version + 1, updated_at = now()
  WHERE id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid RETURNING *;
SELECT seq AS head_seq, hash AS head_hash FROM history WHERE instance_id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid ORDER BY seq DESC LIMIT 1 \gset
INSERT INTO history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
  VALUES (lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid, CAST(:head_seq AS int) + 1, 'paused', NULL, 'bench@flowgate.dev', 'bench - pause', 'running', 'paused',
    jsonb_build_object('mode', 'graceful', 'kind', 'manual', 'resumeAt', NULL, 'interrupted', '[]'::jsonb), 'bench', now(), CAST(:head_hash AS text),
    encode(sha256(convert_to(CAST(:head_hash AS text) || 'paused' || (CAST(:head_seq AS int) + 1)::text, 'UTF8')), 'hex')) RETURNING *;
INSERT INTO events (type, version, instance_id, payload)
  SELECT 'workflow.instance.paused', '1.0.0', i.id, to_jsonb(i) FROM instances i WHERE i.id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid;
SELECT pg_notify('flowgate_control', lpad(to_hex(CAST(:k AS int)), 32, '0'));
COMMIT;
\else
BEGIN;
SELECT * FROM instances WHERE id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid FOR UPDATE;
SELECT (status = 'paused' AND NOT EXISTS (SELECT 1 FROM step_runs sr WHERE sr.instance_id = instances.id AND sr.status = 'running')) AS stopped
  FROM instances WHERE id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid;
UPDATE step_runs SET available_at = available_at WHERE instance_id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid AND status = 'pending' AND available_at > now();
UPDATE instances SET status = 'running', paused_from_status = NULL, paused_at = NULL, paused_by_id = NULL, paused_by_label = NULL,
  pause_reason = NULL, pause_category = NULL, pause_ticket_url = NULL, pause_mode = NULL, pause_kind = NULL, resume_at = NULL,
  version = version + 1, updated_at = now()
  WHERE id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid RETURNING *;
SELECT seq AS head_seq, hash AS head_hash FROM history WHERE instance_id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid ORDER BY seq DESC LIMIT 1 \gset
INSERT INTO history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
  VALUES (lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid, CAST(:head_seq AS int) + 1, 'resumed', NULL, 'bench@flowgate.dev', 'bench - resume', 'paused', 'running',
    jsonb_build_object('forced', false, 'clocksMovedByMs', 0), 'bench', now(), CAST(:head_hash AS text),
    encode(sha256(convert_to(CAST(:head_hash AS text) || 'resumed' || (CAST(:head_seq AS int) + 1)::text, 'UTF8')), 'hex')) RETURNING *;
INSERT INTO events (type, version, instance_id, payload)
  SELECT 'workflow.instance.resumed', '1.0.0', i.id, to_jsonb(i) FROM instances i WHERE i.id = lpad(to_hex(CAST(:k AS int)), 32, '0')::uuid;
SELECT pg_notify('flowgate_wake', lpad(to_hex(CAST(:k AS int)), 32, '0'));
COMMIT;
\endif
