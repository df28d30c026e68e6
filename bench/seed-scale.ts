/**
 * The data `npm run bench:lists` measures against, made with generate_series in a few statements:
 * `instances` instances (a realistic status mix: most ended, 2 % running, 1 % paused, 1 % waiting
 * at a pending gate), about `historyRows` history rows spread over them (5–15 an instance around
 * the mean, and instance 0 with `longHistory` rows), and one pending gate per waiting instance.
 *
 * The history is a real hash chain, not filler: every row's `hash` is lib/history.ts `historyHash`
 * of its fields (the canonical JSON, keys sorted, createdAt as ISO with milliseconds) and its
 * `prev_hash` the previous row's hash in its instance, so `npm run audit:verify` accepts it
 * (test/integration/seed-scale.test.ts checks exactly that). A chain is sequential by nature (each
 * hash needs the last), so it cannot be a window function; it is a recursive CTE instead, which
 * advances every instance of a chunk one link per iteration: one INSERT … SELECT per chunk of
 * instances, with SHA-256 computed by PostgreSQL. No trigger is disabled: history's append-only
 * triggers refuse UPDATE, DELETE and TRUNCATE, and this only inserts.
 *
 * Indexes of instances and history are dropped for the load and built after it (as any bulk load
 * does); the figures are for querying. Ids are `md5('i' || n)::uuid`, so a benchmark can name
 * instance n without reading it back.
 */
import type postgres from "postgres";

export type ScaleSize = { instances: number; historyRows: number; longHistory: number };

/** Workflow keys in the order the seed assigns them (instance n gets KEYS[n % 3]). */
export const SEEDED_WORKFLOWS = ["database-migration", "deploy-pipeline", "nightly-etl"] as const;

const statusOf = `case when n % 100 < 2 then 'running' when n % 100 < 3 then 'paused' when n % 100 < 4 then 'waiting'
  when n % 100 < 90 then 'completed' when n % 100 < 96 then 'failed' else 'cancelled' end`;

/**
 * Fills an empty database (migrated) to `size`. `say` reports progress. Returns the seconds it took.
 * Runs on one reserved connection: the chain's row function lives in pg_temp, per session.
 */
export async function seedScale(pool: postgres.Sql, size: ScaleSize, say: (m: string) => void = () => {}): Promise<number> {
  const started = performance.now();
  const sql = await pool.reserve();
  try {
    // Whole seconds, so every derived time is exact to the millisecond the columns keep and the
    // hash (computed here from the same value) matches what a verifier reads back.
    const base = (await sql<{ base: string }[]>`select date_trunc('second', now())::text as base`)[0]!.base;
    const dropped: { indexname: string; indexdef: string }[] = await sql`
      select indexname, indexdef from pg_indexes
      where tablename in ('instances', 'history', 'gates') and indexname not in ('instances_pkey', 'history_pkey', 'gates_pkey')`;
    for (const ix of dropped) await sql.unsafe(`drop index ${ix.indexname}`);

    await sql`insert into workflow_definitions (key, version, name, steps) values
      ('database-migration', 1, 'Database migration', ${JSON.stringify([{ key: "migrate", name: "Migrate", dependsOn: [] }])}::jsonb),
      ('deploy-pipeline', 1, 'Deploy pipeline', ${JSON.stringify([{ key: "build", name: "Build", dependsOn: [] }, { key: "approve", name: "Deploy to production", dependsOn: ["build"], gate: { stage: "production", approverRole: "approver" } }])}::jsonb),
      ('nightly-etl', 1, 'Nightly ETL', ${JSON.stringify([{ key: "extract", name: "Extract", dependsOn: [] }])}::jsonb)
      on conflict do nothing`;
    const t0 = performance.now();
    await sql.unsafe(
      `insert into instances (id, definition_id, workflow_key, status, started_by_label, input, created_at, updated_at, finished_at,
                              paused_at, paused_by_label, pause_reason, pause_mode, pause_kind, paused_from_status)
      select md5('i' || n)::uuid, d.id, d.key, s.status::instance_status, 'user' || (n % 200) || '@example.com',
        jsonb_build_object('customer', (array['acme','globex','initech','umbrella','hooli'])[n % 5 + 1], 'amount', n % 1000),
        b.base - (n * interval '30 seconds') - interval '1 hour', b.base - (n * interval '30 seconds'),
        case when s.status in ('completed', 'failed', 'cancelled') then b.base - (n * interval '30 seconds') end,
        case when s.status = 'paused' then b.base - (n * interval '30 seconds') end,
        case when s.status = 'paused' then 'ops@example.com' end,
        case when s.status = 'paused' then 'Maintenance window' end,
        case when s.status = 'paused' then 'graceful'::pause_mode end,
        case when s.status = 'paused' then 'manual'::pause_kind end,
        case when s.status = 'paused' then 'running'::instance_status end
      from generate_series(0, $1::int - 1) n
      cross join (select $2::timestamptz as base) b
      join workflow_definitions d on d.key = (array['database-migration','deploy-pipeline','nightly-etl'])[n % 3 + 1] and d.version = 1
      cross join lateral (select ${statusOf} as status) s`,
      [size.instances, base],
    );
    say(`${size.instances} instances in ${Math.round(performance.now() - t0)} ms`);

    // One pending gate per waiting instance: the approvals inbox at thousands of gates.
    const t1 = performance.now();
    await sql.unsafe(
      `insert into gates (instance_id, step_key, stage, instructions, mode, required, approver_role, requested_by_label, requested_at)
      select md5('i' || n)::uuid, 'approve', 'production', 'Check the release notes, then approve the rollout.', 'any', 1, 'approver', 'engine',
        $2::timestamptz - (n * interval '30 seconds')
      from generate_series(0, $1::int - 1) n where ${statusOf} = 'waiting'`,
      [size.instances, base],
    );
    say(`pending gates in ${Math.round(performance.now() - t1)} ms`);

    await createChainFunction(sql);
    const perInstance = Math.max(1, Math.round(size.historyRows / size.instances));
    // Chunks of about a million rows, so progress shows and no one statement's work table grows huge.
    const chunk = Math.max(1, Math.floor(1_000_000 / perInstance));
    for (let from = 0; from < size.instances; from += chunk) {
      const to = Math.min(size.instances, from + chunk) - 1;
      await sql.unsafe(
        `with recursive chain as (
          select g.n, g.len, r.* from (
            select n, case when n = 0 then greatest($4::int, 1) else greatest(1, $3::int + (n % 11) - 5) end as len
            from generate_series($1::int, $2::int) n) g
          cross join lateral pg_temp.bench_history_row(g.n, 1, g.len, null, $5::timestamptz) r
          union all
          select c.n, c.len, r.* from chain c
          cross join lateral pg_temp.bench_history_row(c.n, c.seq + 1, c.len, c.hash, $5::timestamptz) r
          where c.seq < c.len)
        insert into history (instance_id, seq, action, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
        select instance_id, seq, action, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash from chain`,
        [from, to, perInstance, size.longHistory, base],
      );
      say(`history for instances ${from}–${to} (${Math.round((performance.now() - started) / 1000)} s)`);
    }

    for (const ix of dropped) {
      const t = performance.now();
      await sql.unsafe(ix.indexdef);
      say(`index ${ix.indexname} in ${Math.round(performance.now() - t)} ms`);
    }
    // Vacuum sets the visibility map, so the index-only scans the counts rely on skip the heap,
    // as they would on a table autovacuum had visited.
    await sql`vacuum (analyze) instances, history, gates, workflow_definitions`;
  } finally {
    sql.release();
  }
  return Math.round((performance.now() - started) / 1000);
}

/**
 * pg_temp.bench_history_row(n, seq, len, prev, base): history row `seq` of `len` of instance n,
 * hashed onto `prev`. Its story: started, steps starting and finishing with a pause and resume
 * every tenth row, and an ending that matches the instance's status. The hash is historyHash's:
 * sha256 of canonicalJson (keys sorted, no spaces; createdAt as toISOString gives it).
 */
async function createChainFunction(sql: postgres.ReservedSql) {
  await sql.unsafe(`
    create function pg_temp.bench_history_row(p_n int, p_seq int, p_len int, p_prev text, p_base timestamptz)
    returns table (seq int, instance_id uuid, action history_action, actor_label text, reason text, from_status instance_status,
                   to_status instance_status, details jsonb, workflow_key text, created_at timestamptz, prev_hash text, hash text)
    language sql immutable parallel safe as $fn$
      with s as (select ${statusOf.replaceAll("n %", "p_n %")} as status),
      f as (
        select md5('i' || p_n)::uuid as instance_id,
          case
            when p_seq = 1 then 'started'
            when p_seq = p_len and s.status in ('completed', 'failed', 'cancelled') then s.status
            when p_seq = p_len and s.status = 'paused' then 'paused'
            when p_seq = p_len and s.status = 'waiting' then 'gate_requested'
            when p_seq % 10 = 3 then 'paused'
            when p_seq % 10 = 4 then 'resumed'
            when p_seq % 2 = 0 then 'step_started'
            else 'step_completed' end as action,
          (array['database-migration','deploy-pipeline','nightly-etl'])[p_n % 3 + 1] as workflow_key,
          p_base - (p_n * interval '30 seconds') - interval '1 hour' + (p_seq * interval '300 milliseconds') as created_at,
          s.status
        from s),
      r as (
        select f.*,
          case when f.action in ('paused', 'resumed', 'cancelled') then 'user' || (p_n % 200) || '@example.com' else 'engine' end as actor_label,
          case when f.action in ('paused', 'cancelled') then (array['System maintenance','Database failover drill','High system load detected','Waiting for vendor fix','Cost review','Release freeze for the holidays'])[(p_n + p_seq) % 6 + 1] || ' #' || (p_n % 9973) end as reason,
          case when f.action = 'paused' then (array['maintenance','incident','approval','dependency','cost','other'])[(p_n + p_seq) % 6 + 1] end as category,
          case
            when f.action = 'started' then 'pending'
            when f.action = 'resumed' then 'paused'
            when p_seq > 3 and (p_seq - 1) % 10 = 3 then 'paused'
            else 'running' end as from_status,
          case
            when f.action = 'paused' then 'paused'
            when f.action = 'gate_requested' then 'waiting'
            when f.action in ('completed', 'failed', 'cancelled') then f.action
            when f.action in ('step_started', 'step_completed') and p_seq > 3 and (p_seq - 1) % 10 = 3 then 'paused'
            else 'running' end as to_status
        from f),
      c as (
        select r.*,
          '{"action":' || to_json(r.action)::text
          || ',"actorId":null'
          || ',"actorLabel":' || to_json(r.actor_label)::text
          || ',"createdAt":"' || to_char(r.created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
          || ',"details":' || case when r.category is null then '{}' else '{"category":' || to_json(r.category)::text || '}' end
          || ',"fromStatus":' || to_json(r.from_status)::text
          || ',"instanceId":' || to_json(r.instance_id::text)::text
          || ',"prevHash":' || coalesce(to_json(p_prev)::text, 'null')
          || ',"reason":' || coalesce(to_json(r.reason)::text, 'null')
          || ',"seq":' || p_seq
          || ',"toStatus":' || to_json(r.to_status)::text
          || ',"workflowKey":' || to_json(r.workflow_key)::text
          || '}' as canonical
        from r)
      select p_seq, c.instance_id, c.action::history_action, c.actor_label, c.reason, c.from_status::instance_status, c.to_status::instance_status,
        case when c.category is null then '{}'::jsonb else jsonb_build_object('category', c.category) end,
        c.workflow_key, c.created_at, p_prev, encode(sha256(convert_to(c.canonical, 'UTF8')), 'hex')
      from c
    $fn$`);
}
