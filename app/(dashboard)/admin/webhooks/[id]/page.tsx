import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { AppError } from "@/lib/errors";
import { listDeliveries } from "@/lib/webhooks/deliveries";
import { getSubscription } from "@/lib/webhooks/subscriptions";
import { EditWebhookForm, ReplayDelivery, RotateSecretForm, ToggleWebhook } from "../webhook-forms";

export const metadata: Metadata = { title: "Webhook" };

export default async function WebhookPage({ params }: { params: Promise<{ id: string }> }) {
  await requirePage("webhooks:manage");
  const { id } = await params;
  const subscription = await getSubscription(getDb(), id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const deliveries = await listDeliveries(getDb(), id);
  return (
    <div className="max-w-5xl space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/admin/webhooks" className="text-indigo-700 underline-offset-2 hover:underline">
          Webhooks
        </Link>{" "}
        / <span className="break-all font-mono">{subscription.url}</span>
      </nav>
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold tracking-tight">Webhook</h1>
        {subscription.active ? <span className="rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-800">Active</span> : <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs text-red-800">Disabled</span>}
        <ToggleWebhook id={subscription.id} url={subscription.url} active={subscription.active} />
      </div>
      {!subscription.active && subscription.disabledReason && (
        <p role="status" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {subscription.disabledReason}
          {subscription.disabledAt && (
            <>
              {" "}
              (<RelativeTime value={subscription.disabledAt} />)
            </>
          )}
        </p>
      )}
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <EditWebhookForm id={subscription.id} url={subscription.url} description={subscription.description} chosen={subscription.eventTypes} />
      </section>
      <section aria-labelledby="secret-heading" className="space-y-2 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="secret-heading" className="font-semibold">Signing secret</h2>
        <RotateSecretForm id={subscription.id} previousValidUntil={subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > new Date() ? subscription.previousSecretExpiresAt.toISOString() : null} />
      </section>
      <section aria-labelledby="deliveries-heading" className="space-y-2">
        <h2 id="deliveries-heading" className="text-lg font-semibold">Recent deliveries</h2>
        {deliveries.length === 0 ? (
          <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">No deliveries yet: events created from now on that match are sent here.</p>
        ) : (
          <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Deliveries</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
                <tr>
                  <th scope="col" className="px-3 py-2">Event</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                  <th scope="col" className="px-3 py-2">Attempts</th>
                  <th scope="col" className="px-3 py-2"><span className="sr-only">Replay</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {deliveries.map((d) => (
                  <tr key={d.id} className="align-top">
                    <th scope="row" className="px-3 py-2 text-left font-normal">
                      <span className="block font-mono text-xs">{d.eventType}</span>
                      <span className="block font-mono text-xs text-slate-600">{d.webhookId}</span>
                      <RelativeTime value={d.createdAt} />
                    </th>
                    <td className="px-3 py-2">
                      {d.inFlight ? "sending" : d.status}
                      {d.status === "pending" && !d.inFlight && d.attempts > 0 && (
                        <span className="block text-xs text-slate-600">
                          next try <RelativeTime value={d.nextAttemptAt} />
                        </span>
                      )}
                    </td>
                    <td className="px-3 py-2">
                      <ol className="space-y-1" aria-label={`Attempts of ${d.webhookId}`}>
                        {d.attemptLog.map((a) => (
                          <li key={a.id} className="text-xs">
                            <span className={a.ok ? "text-emerald-800" : "text-red-700"}>
                              #{a.attempt}
                              {a.replay ? " (replay)" : ""} {a.statusCode ?? "no answer"} · {a.latencyMs} ms
                            </span>{" "}
                            <RelativeTime value={a.startedAt} />
                            {a.error && <span className="block text-red-700">{a.error}</span>}
                            {a.responseExcerpt && <code className="block max-w-md truncate text-slate-600">{a.responseExcerpt}</code>}
                          </li>
                        ))}
                      </ol>
                    </td>
                    <td className="px-3 py-2">{subscription.active && !d.inFlight && <ReplayDelivery subscriptionId={subscription.id} deliveryId={d.id} webhookId={d.webhookId} />}</td>
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
