import "server-only";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { events, webhookDeliveries, webhookSubscriptions } from "@/db/schema";

/**
 * Turns committed outbox events into webhook deliveries, oldest first, at most `limit` events per
 * call, in one statement: it takes events not yet published (`published_at is null`) with
 * `FOR UPDATE SKIP LOCKED`, inserts one delivery per active subscription whose types match (none
 * listed: all) and that existed when the event was written, and marks the events published.
 *
 * Why this and not a cursor over events.id: ids are taken when a transaction inserts and become
 * visible when it commits, so a cursor can pass an id whose transaction commits later and lose
 * that event. An uncommitted event is simply not seen here, and taken by a later call. Two workers
 * take disjoint events (SKIP LOCKED); the unique (subscription, event) index makes a repeat a no-op.
 * Returns how many events were taken and deliveries made.
 */
export async function fanOutEvents(db: DbOrTx, limit = 500): Promise<{ events: number; deliveries: number }> {
  const rows = await db.execute<{ events: number; deliveries: number }>(sql`
    with batch as (
      select ${events.id} as id, ${events.type} as type, ${events.createdAt} as created_at
      from ${events} where ${events.publishedAt} is null
      order by ${events.id} limit ${limit}
      for update skip locked
    ), fanned as (
      insert into ${webhookDeliveries} (subscription_id, event_id)
      select s.id, b.id from batch b
        join ${webhookSubscriptions} s on s.active
          and (cardinality(s.event_types) = 0 or b.type = any(s.event_types))
          and b.created_at >= s.created_at
      on conflict (subscription_id, event_id) do nothing
      returning 1
    ), marked as (
      update ${events} set published_at = now() where ${events.id} in (select id from batch)
      returning 1
    )
    select (select count(*) from marked)::int as events, (select count(*) from fanned)::int as deliveries`);
  const [row] = rows;
  return { events: row?.events ?? 0, deliveries: row?.deliveries ?? 0 };
}
