import type { Metadata } from "next";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { notificationEnv } from "@/lib/env";
import { listChannels, notificationLog } from "@/lib/notifications/channels";
import { notificationKindLabels, type NotificationKind } from "@/lib/domain";
import { CreateChannelForm, DeleteChannel, ToggleChannel } from "./channel-forms";

export const metadata: Metadata = { title: "Notifications" };

const statusStyle = {
  pending: "bg-amber-50 text-amber-900",
  sent: "bg-emerald-50 text-emerald-800",
  failed: "bg-red-50 text-red-800",
  skipped: "bg-slate-100 text-slate-700",
} as const;

/** Admins: the chat channels that hear about gates, pauses and resumes, and the log of every notification sent. */
export default async function NotificationsPage() {
  await requirePage("notifications:manage");
  const db = getDb();
  const [channels, log] = await Promise.all([listChannels(db), notificationLog(db)]);
  const mail = notificationEnv().smtpUrl !== null;
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Notifications</h1>
        <p className="text-sm text-slate-600">
          The worker tells the people who may decide a gate when it opens, escalates, waits (reminders) or is about to expire, by mail and chat as each chose on their account page,
          and tells these channels what they ask for. Every send is retried with backoff and logged below. Mail is {mail ? "configured" : "not configured (set FLOWGATE_SMTP_URL)"}.
        </p>
      </div>
      <section aria-labelledby="channels-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="channels-heading" className="font-semibold">Chat channels</h2>
        <CreateChannelForm />
        {channels.length === 0 ? (
          <p className="rounded-lg border border-dashed border-slate-300 p-4 text-center text-sm text-slate-600">No channels yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100" aria-label="Channels">
            {channels.map((c) => (
              <li key={c.id} className="flex flex-wrap items-start justify-between gap-2 py-2">
                <div className="min-w-0">
                  <p className="font-medium">
                    {c.name}{" "}
                    <span className={`rounded px-1.5 py-0.5 text-xs ${c.active ? "bg-emerald-50 text-emerald-800" : "bg-slate-100 text-slate-700"}`}>{c.active ? "Active" : "Disabled"}</span>
                  </p>
                  <p className="break-all font-mono text-xs text-slate-600">{c.url}</p>
                  <p className="text-xs text-slate-600">{c.kinds.map((k) => notificationKindLabels[k as NotificationKind] ?? k).join(", ")}</p>
                </div>
                <div className="flex flex-wrap gap-2">
                  <ToggleChannel id={c.id} name={c.name} active={c.active} />
                  <DeleteChannel id={c.id} name={c.name} />
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="log-heading" className="space-y-2">
        <h2 id="log-heading" className="font-semibold">Notification log</h2>
        {log.length === 0 ? (
          <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">Nothing sent yet.</p>
        ) : (
          <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
            {/* A minimum width: on a phone the log scrolls inside its frame rather than squeezing a URL to a letter a line. */}
            <table className="w-full min-w-[48rem] text-left text-sm">
              <caption className="sr-only">Notification log, newest first</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
                <tr>
                  <th scope="col" className="px-3 py-2">Notification</th>
                  <th scope="col" className="px-3 py-2">To</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                  <th scope="col" className="px-3 py-2">Attempts</th>
                  <th scope="col" className="px-3 py-2">Queued</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {log.map((n) => (
                  <tr key={n.id} className="align-top">
                    <th scope="row" className="max-w-md px-3 py-2 text-left font-normal">
                      <span className="block text-xs text-slate-600">{notificationKindLabels[n.kind]}</span>
                      <span className="break-words">{n.subject}</span>
                    </th>
                    <td className="px-3 py-2">
                      <span className="block text-xs text-slate-600">{n.transport === "email" ? "Email" : "Chat"}</span>
                      <span className="break-all font-mono text-xs">{n.target}</span>
                    </td>
                    <td className="px-3 py-2">
                      <span className={`rounded px-1.5 py-0.5 text-xs ${statusStyle[n.status]}`}>{n.status}</span>
                      {n.lastError && <span className="mt-1 block text-xs text-slate-600">{n.lastError}</span>}
                    </td>
                    <td className="px-3 py-2 text-xs">
                      {n.attemptLog.length === 0 ? (
                        "none yet"
                      ) : (
                        <ol className="space-y-0.5" aria-label={`Attempts of ${n.id}`}>
                          {n.attemptLog.map((a) => (
                            <li key={a.id}>
                              #{a.attempt} {a.ok ? "ok" : "failed"} · {a.latencyMs} ms{a.error ? ` · ${a.error}` : ""}
                            </li>
                          ))}
                        </ol>
                      )}
                    </td>
                    <td className="px-3 py-2"><RelativeTime value={n.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
