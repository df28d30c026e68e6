import type { Metadata } from "next";
import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { listSubscriptions } from "@/lib/webhooks/subscriptions";
import { CreateWebhookForm, DeleteWebhook, ToggleWebhook } from "./webhook-forms";

export const metadata: Metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  await requirePage("webhooks:manage");
  const subscriptions = await listSubscriptions(getDb());
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Webhooks</h1>
        <p className="text-sm text-slate-600">
          Outbox events are POSTed to these URLs by the worker, signed per Standard Webhooks with the subscription&apos;s secret, retried with backoff; a run of failures disables a subscription. Open one for its delivery log.
        </p>
      </div>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <CreateWebhookForm />
      </section>
      {subscriptions.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-600">No webhooks yet.</p>
      ) : (
        <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Webhooks</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
              <tr>
                <th scope="col" className="px-3 py-2">URL</th>
                <th scope="col" className="px-3 py-2">Events</th>
                <th scope="col" className="px-3 py-2">Status</th>
                <th scope="col" className="px-3 py-2">Created</th>
                <th scope="col" className="px-3 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {subscriptions.map((s) => (
                <tr key={s.id} className="align-top">
                  <th scope="row" className="px-3 py-2 text-left font-normal">
                    <Link href={`/admin/webhooks/${s.id}`} className="break-all font-mono text-indigo-700 underline-offset-2 hover:underline">
                      {s.url}
                    </Link>
                    {s.description && <span className="block text-slate-600">{s.description}</span>}
                  </th>
                  <td className="px-3 py-2 font-mono text-xs">{s.eventTypes.length ? s.eventTypes.join(", ") : "all events"}</td>
                  <td className="px-3 py-2">
                    {s.active ? (
                      <span className="rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-800">Active</span>
                    ) : (
                      <>
                        <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs text-red-800">Disabled</span>
                        {s.disabledReason && <span className="mt-1 block text-xs text-slate-600">{s.disabledReason}</span>}
                      </>
                    )}
                  </td>
                  <td className="px-3 py-2"><RelativeTime value={s.createdAt} /></td>
                  <td className="space-x-2 whitespace-nowrap px-3 py-2">
                    <ToggleWebhook id={s.id} url={s.url} active={s.active} />
                    <DeleteWebhook id={s.id} url={s.url} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
