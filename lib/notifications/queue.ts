import "server-only";
import { and, asc, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import {
  gateDecisions,
  gateDelegations,
  gates,
  history,
  instances,
  notificationChannels,
  notificationPreferences,
  notifications,
  personalNotificationKinds,
  roles,
  users,
  bulkOperations,
  maintenanceWindows,
  type Gate,
  type GateDecision,
  type GateDelegation,
  type Instance,
  type NotificationKind,
} from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { mayDecide, progressLabel, whoMayApprove } from "@/lib/gates/rules";
import { windowIdOf } from "@/lib/actors";
import { OCCURRENCE_KEY } from "@/lib/maintenance/run-windows";
import { renderGateNotice, renderGroupNotice, renderInstanceNotice, type GateNotice, type RenderedMessage } from "./messages";

/*
 * Deciding who is told what: the rows of `notifications`, rendered and waiting for the worker.
 * Who may decide a gate is the gate rule's answer (mayDecide: approvers only, never whoever
 * started the instance or asked for the approval, delegations, one decision each), asked of every
 * active user; what each of them receives is their preferences; channels receive the kinds an
 * admin chose for them.
 */

/** What deciding needs from the environment: the dashboard's base URL for links, and whether mail is configured. */
export type NotifyConfig = { publicUrl: string; mail: boolean };

/** The deep link to a gate on the Approvals page (its card's id). */
export const gateLink = (publicUrl: string, gateId: string): string => `${publicUrl}/approvals#gate-${gateId}`;
/** The link to an instance's page. */
export const instanceLink = (publicUrl: string, instanceId: string): string => `${publicUrl}/instances/${instanceId}`;

/** A gate with what mayDecide needs: the lockGate shape, read with or without the locks. */
export type GateFactsRow = { instance: Instance; gate: Gate; decisions: GateDecision[]; delegations: GateDelegation[] };

/** A gate's facts read without locks (the fan-out's view); null when the gate is gone. */
export async function readGateFacts(db: DbOrTx, gateId: string): Promise<GateFactsRow | null> {
  const [row] = await db.select({ gate: gates, instance: instances }).from(gates).innerJoin(instances, eq(instances.id, gates.instanceId)).where(eq(gates.id, gateId));
  if (!row) return null;
  const [decisions, delegations] = await Promise.all([
    db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gateId)).orderBy(asc(gateDecisions.createdAt)),
    db.select().from(gateDelegations).where(eq(gateDelegations.gateId, gateId)),
  ]);
  return { ...row, decisions, delegations };
}

/** A person with their notification preferences (the defaults when they never chose: mail on, chat off, every kind). */
export type Person = { id: string; email: string; name: string; role: (typeof roles)[number]; groups: string[]; prefs: { email: boolean; chat: boolean; chatWebhookUrl: string | null; kinds: string[] } };

/**
 * The active users who may decide this gate now, per lib/gates/rules.ts, with their preferences.
 * A pending gate only; someone who has decided, delegated their turn away, started the instance or
 * asked for the approval is never among them.
 */
export async function decidersOf(db: DbOrTx, facts: GateFactsRow): Promise<Person[]> {
  if (facts.gate.status !== "pending") return [];
  const decidingRoles = roles.filter((role) => can({ id: "", email: "", name: "", role }, "gates:decide"));
  const rows = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups, prefs: notificationPreferences })
    .from(users)
    .leftJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(and(inArray(users.role, decidingRoles), isNull(users.deactivatedAt)));
  const gateFacts = { gate: facts.gate, decisions: facts.decisions, delegations: facts.delegations, startedById: facts.instance.startedById };
  return rows
    .filter((p) => mayDecide(p, gateFacts).ok)
    .map(({ prefs, ...p }) => ({ ...p, prefs: prefs ? { email: prefs.email, chat: prefs.chat, chatWebhookUrl: prefs.chatWebhookUrl, kinds: prefs.kinds } : { email: true, chat: false, chatWebhookUrl: null, kinds: [...personalNotificationKinds] } }));
}

type Row = typeof notifications.$inferInsert;

/** The active channels that asked for this kind. */
async function channelsFor(db: DbOrTx, kind: NotificationKind) {
  return db.select().from(notificationChannels).where(and(eq(notificationChannels.active, true), sql`${kind} = any(${notificationChannels.kinds})`));
}

/** Inserts the rows; one already decided (the same dedupe key) is left as it is. Returns how many are new. */
async function insert(db: DbOrTx, rows: Row[]): Promise<number> {
  if (!rows.length) return 0;
  const made = await db.insert(notifications).values(rows).onConflictDoNothing({ target: notifications.dedupeKey }).returning({ id: notifications.id });
  return made.length;
}

/**
 * Queues a gate notice for the people who may decide it (by mail and/or chat, as each chose) and
 * for the channels that asked for `kind`. `key` identifies the occasion (an event, a reminder
 * round), so queueing it twice sends once. `onlyUserId` narrows the people to one (a delegate).
 * Returns the number of notifications queued.
 */
export async function queueGateNotice(
  db: DbOrTx,
  facts: GateFactsRow,
  kind: GateNotice["kind"],
  key: string,
  config: NotifyConfig,
  options: { eventId?: number; onlyUserId?: string; delegatedBy?: string; channels?: boolean } = {},
): Promise<number> {
  if (facts.gate.status !== "pending") return 0;
  const message = renderGateNotice({
    kind,
    gate: facts.gate,
    instance: facts.instance,
    progress: progressLabel(facts.gate, facts.decisions),
    whoMayApprove: whoMayApprove(facts.gate),
    ...(options.delegatedBy ? { delegatedBy: options.delegatedBy } : {}),
    links: { gate: gateLink(config.publicUrl, facts.gate.id), instance: instanceLink(config.publicUrl, facts.instance.id) },
  });
  const base = { kind, gateId: facts.gate.id, instanceId: facts.instance.id, eventId: options.eventId ?? null, subject: message.subject, message };
  const rows: Row[] = [];
  for (const person of await decidersOf(db, facts)) {
    if (options.onlyUserId && person.id !== options.onlyUserId) continue;
    if (!person.prefs.kinds.includes(kind)) continue;
    if (person.prefs.email && config.mail) rows.push({ ...base, dedupeKey: `${key}:user:${person.id}:email`, transport: "email", userId: person.id, target: person.email });
    if (person.prefs.chat && person.prefs.chatWebhookUrl) rows.push({ ...base, dedupeKey: `${key}:user:${person.id}:chat`, transport: "chat", userId: person.id, target: person.prefs.chatWebhookUrl });
  }
  if (options.channels !== false) rows.push(...(await channelRows(db, kind, key, base)));
  return insert(db, rows);
}

async function channelRows(db: DbOrTx, kind: NotificationKind, key: string, base: Omit<Row, "dedupeKey" | "transport" | "target">): Promise<Row[]> {
  return (await channelsFor(db, kind)).map((c) => ({ ...base, dedupeKey: `${key}:channel:${c.id}`, transport: "chat" as const, channelId: c.id, target: c.url }));
}

/**
 * Queues an instance's pause or resume for the channels that asked for it. Who and why come from
 * the history row that recorded it (the instance's latest `paused`, or `resumed`/`force_resumed`).
 * A pause or resume that is one of many is told once, not per instance: a bulk operation's once per
 * operation (its page shows every instance), a maintenance window's once per occurrence and
 * workflow. The dedupe key is the group's, so the group's other instances queue nothing.
 */
export async function queueInstanceNotice(db: DbOrTx, kind: "instance_paused" | "instance_resumed", instance: Instance, key: string, config: NotifyConfig, eventId: number): Promise<number> {
  const channels = await channelsFor(db, kind);
  if (!channels.length) return 0;
  const [row] = await db
    .select({ actor: history.actorLabel, reason: history.reason, details: history.details })
    .from(history)
    .where(and(eq(history.instanceId, instance.id), inArray(history.action, kind === "instance_paused" ? ["paused"] : ["resumed", "force_resumed"])))
    .orderBy(desc(history.id))
    .limit(1);
  const by = row?.actor ?? instance.pausedByLabel ?? "someone";
  const reason = row?.reason ?? (kind === "instance_paused" ? instance.pauseReason : null) ?? null;
  const group = await groupOf(db, kind, instance, row?.details ?? {}, by, config.publicUrl);
  const message: RenderedMessage = group
    ? renderGroupNotice({ kind, what: group.what, by: group.by, reason, link: group.link })
    : renderInstanceNotice({ kind, instance, by, reason, links: { instance: instanceLink(config.publicUrl, instance.id) } });
  const groupKey = group ? `${group.key}:${kind}` : key;
  const base = { kind, gateId: null, instanceId: instance.id, eventId, subject: message.subject, message };
  return insert(db, channels.map((c) => ({ ...base, dedupeKey: `${groupKey}:channel:${c.id}`, transport: "chat" as const, channelId: c.id, target: c.url })));
}

/** A many-instance act that a pause or resume belongs to: its dedupe key, who did it and what it covers in words, and where to watch it. */
type Group = { key: string; by: string; what: string; link: string };

/**
 * The bulk operation or maintenance-window occurrence this pause or resume of `instance` belongs to,
 * from its history row's `details` and actor label `by`; null when it was a single act.
 */
async function groupOf(db: DbOrTx, kind: "instance_paused" | "instance_resumed", instance: Instance, details: Record<string, unknown>, by: string, publicUrl: string): Promise<Group | null> {
  const operationId = typeof details.bulkOperationId === "string" ? details.bulkOperationId : null;
  if (operationId) {
    const [op] = await db.select({ matched: bulkOperations.matched }).from(bulkOperations).where(eq(bulkOperations.id, operationId));
    return { key: `bulk:${operationId}`, by, what: `a bulk operation over ${op?.matched ?? "several"} instances`, link: `${publicUrl}/bulk-operations/${operationId}` };
  }
  const windowId = windowIdOf(by);
  if (!windowId) return null;
  // The occurrence is named on the window's pause; a resume finds it on the pause it ended.
  let occurrence = typeof details[OCCURRENCE_KEY] === "string" ? (details[OCCURRENCE_KEY] as string) : null;
  if (!occurrence && kind === "instance_resumed") {
    const [pause] = await db
      .select({ details: history.details })
      .from(history)
      .where(and(eq(history.instanceId, instance.id), eq(history.action, "paused"), eq(history.actorLabel, by)))
      .orderBy(desc(history.id))
      .limit(1);
    const found = pause?.details[OCCURRENCE_KEY];
    occurrence = typeof found === "string" ? found : null;
  }
  // A person reads the window's title, not its id; the id stays in the dedupe key.
  const [win] = await db.select({ title: maintenanceWindows.title }).from(maintenanceWindows).where(eq(maintenanceWindows.id, windowId));
  const named = win ? `maintenance window "${win.title}"` : "a maintenance window";
  return { key: `${by}:${occurrence ?? "?"}:${instance.workflowKey}`, by: named, what: `the instances of ${instance.workflowKey}`, link: `${publicUrl}/workflows/windows` };
}
