"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { ReasonDialog } from "@/components/reason-dialog";
import { ReasonTags } from "@/components/reason-tags";
import { RelativeTime } from "@/components/relative-time";
import { bulkProgressEventSchema, mergeProgress } from "@/lib/bulk-operations/progress-event";
import type { BulkOperationView } from "@/lib/bulk-operations/queries";
import type { Jsonify } from "@/lib/jsonify";
import { BulkStateBadge } from "../state-badge";
import { cancelBulkOperationAction } from "./actions";

type Operation = Jsonify<BulkOperationView>;
type Target = { instanceId: string; status: string; message: string | null; workflowKey: string; instanceStatus: string; doneAt: string | null };

const n = (v: number) => v.toLocaleString("en");

async function getJson<T>(url: string, signal: AbortSignal): Promise<T> {
  const response = await fetch(url, { signal });
  const body = (await response.json()) as T | { error: { message: string } };
  if (body && typeof body === "object" && "error" in body) throw new Error(body.error.message);
  return body as T;
}

/** How often the page reads the operation while its stream is down (reconnecting), in ms; never while the stream is up. */
export const FALLBACK_POLL_MS = 15_000;

/**
 * Follows a running operation on `GET /api/v1/bulk-operations/{id}/stream`: each `progress`
 * event is folded into the react-query cache (mergeProgress drops stale ones), the `done` event
 * replaces it with the ended operation and closes the stream (EventSource would reconnect
 * otherwise). Tells `setLive` whether the stream is up, so the page polls only while it is not.
 */
function useProgressStream(id: string, running: boolean, setLive: (live: boolean) => void): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!running) return;
    const key = ["bulk-operation", id];
    const source = new EventSource(`/api/v1/bulk-operations/${id}/stream`);
    source.addEventListener("progress", (event) => {
      const parsed = bulkProgressEventSchema.safeParse(JSON.parse((event as MessageEvent<string>).data));
      if (!parsed.success) return;
      setLive(true);
      queryClient.setQueryData<Operation>(key, (current) => (current ? mergeProgress(current, parsed.data) : current));
    });
    source.addEventListener("done", (event) => {
      queryClient.setQueryData<Operation>(key, JSON.parse((event as MessageEvent<string>).data) as Operation);
      source.close();
      setLive(false);
    });
    source.onerror = () => setLive(false);
    return () => source.close();
  }, [id, running, queryClient, setLive]);
}

/**
 * The operation as it goes: streamed while it runs (useProgressStream; read every
 * FALLBACK_POLL_MS only while the stream is down, never once completed or cancelled), a
 * progress bar, the counts, every refusal with its reason, and Cancel while it runs.
 */
export function OperationProgress({ initial, canCancel }: { initial: Operation; canCancel: boolean }) {
  const [live, setLive] = useState(false);
  const op = useQuery({
    queryKey: ["bulk-operation", initial.id],
    queryFn: ({ signal }) => getJson<Operation>(`/api/v1/bulk-operations/${initial.id}`, signal),
    initialData: initial,
    refetchInterval: (q) => (q.state.data?.state === "running" && !live ? FALLBACK_POLL_MS : false),
  });
  const data = op.data;
  const running = data.state === "running";
  useProgressStream(initial.id, running, setLive);
  const refused = useQuery({
    queryKey: ["bulk-operation-refused", initial.id, data.counts.refused],
    queryFn: ({ signal }) => getJson<{ items: Target[]; nextCursor: string | null }>(`/api/v1/bulk-operations/${initial.id}/targets?status=refused&limit=500`, signal),
    enabled: data.counts.refused > 0,
  });
  // Acted on: paused or resumed, or refused. Skipped targets (a cancel) were never reached, so the bar leaves them out.
  const acted = data.counts.succeeded + data.counts.refused;
  const percent = data.matched ? Math.floor((acted / data.matched) * 100) : 100;
  const verb = data.action === "pause" ? "Paused" : "Resumed";
  return (
    <div className="space-y-4">
      <section aria-label="Progress" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        <div className="flex flex-wrap items-center gap-2">
          <BulkStateBadge state={data.state} />
          <span className="text-sm text-slate-700" aria-live="polite">
            {n(acted)} of {n(data.matched)} done{data.counts.skipped ? `; ${n(data.counts.skipped)} skipped` : ""}
          </span>
          {running && (
            <span className="inline-flex items-center gap-1.5 text-xs text-slate-600" title={live ? "Progress appears as the worker makes it" : `Reconnecting; checking every ${FALLBACK_POLL_MS / 1000} s meanwhile`}>
              <span aria-hidden className={live ? "size-2 rounded-full bg-emerald-500" : "size-2 rounded-full bg-slate-300"} />
              {live ? "Live" : "Reconnecting"}
            </span>
          )}
          {running && canCancel && (
            <span className="ml-auto">
              <ReasonDialog
                title="Cancel this operation"
                description="Instances not reached yet are skipped and left as they are. Instances already done stay done: each was its own change, with its own history row."
                triggerLabel="Cancel operation"
                triggerVariant="danger"
                submitLabel="Cancel operation"
                dismissLabel="Keep it running"
                reasonLabel="Reason"
                reasonRequired
                requiredMessage="Say why you are cancelling"
                action={async (prev, formData) => {
                  const state = await cancelBulkOperationAction(initial.id, prev, formData);
                  void op.refetch();
                  return state;
                }}
              />
            </span>
          )}
        </div>
        <div role="progressbar" aria-label={`${verb} so far`} aria-valuemin={0} aria-valuemax={data.matched} aria-valuenow={acted} aria-valuetext={`${n(acted)} of ${n(data.matched)}`} className="h-2.5 overflow-hidden rounded-full bg-slate-100">
          <div className="h-full bg-indigo-600 transition-[width]" style={{ width: `${percent}%` }} />
        </div>
        <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
          {(
            [
              ["succeeded", verb],
              ["refused", "Refused"],
              ["pending", "Not reached yet"],
              ["skipped", "Skipped (cancelled)"],
            ] as const
          ).map(([key, label]) => (
            <div key={key} className="rounded-md bg-slate-50 p-2">
              <dt className="text-xs text-slate-600">{label}</dt>
              <dd className="text-lg font-semibold tabular-nums">{n(data.counts[key])}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section aria-label="Details" className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
        <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1.5">
          <dt className="text-slate-600">Started by</dt>
          <dd className="break-words">
            {data.actorLabel} <RelativeTime value={data.createdAt} />
          </dd>
          <dt className="text-slate-600">Reason</dt>
          <dd className="break-words">
            {data.reason ?? <span className="text-slate-500">—</span>} <ReasonTags category={data.category} ticketUrl={data.ticketUrl} />
          </dd>
          {data.action === "pause" && (
            <>
              <dt className="text-slate-600">Mode</dt>
              <dd>{data.mode}</dd>
            </>
          )}
          {data.action === "resume" && (
            <>
              <dt className="text-slate-600">Pace</dt>
              <dd>
                at most {data.ratePerSecond} a second{data.force ? ", forced (resume conditions skipped)" : ""}
              </dd>
            </>
          )}
          <dt className="text-slate-600">Filter</dt>
          <dd className="font-mono text-xs">
            status={data.filter.status}
            {data.filter.workflow ? ` workflow=${data.filter.workflow}` : ""}
            {data.filter.q ? ` q=${data.filter.q}` : ""}
          </dd>
          {data.finishedAt && (
            <>
              <dt className="text-slate-600">{data.state === "cancelled" ? "Cancelled" : "Finished"}</dt>
              <dd className="break-words">
                <RelativeTime value={data.finishedAt} />
                {data.cancelledByLabel ? ` by ${data.cancelledByLabel}: ${data.cancelReason ?? ""}` : ""}
              </dd>
            </>
          )}
          <dt className="text-slate-600">Id</dt>
          <dd className="break-all font-mono text-xs">{data.id}</dd>
        </dl>
      </section>

      <section aria-labelledby="refused-heading" className="rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm">
        <h2 id="refused-heading" className="font-semibold">
          Refused ({n(data.counts.refused)})
        </h2>
        {data.counts.refused === 0 ? (
          <p className="mt-1 text-slate-500">None{running ? " so far" : ""}.</p>
        ) : (
          <ul aria-label="Refused instances" className="mt-2 space-y-1">
            {(refused.data?.items ?? []).map((t) => (
              <li key={t.instanceId} aria-label={`Refused: ${t.instanceId.slice(0, 8)}`} className="flex flex-wrap gap-x-2">
                <Link href={`/instances/${t.instanceId}`} className="font-mono text-indigo-700 underline-offset-2 hover:underline">
                  {t.instanceId.slice(0, 8)}
                </Link>
                <span className="text-slate-500">{t.workflowKey}</span>
                <span className="min-w-0 break-words text-amber-900">{t.message}</span>
              </li>
            ))}
          </ul>
        )}
        <p className="mt-3 text-xs text-slate-500">Every instance acted on has its own history row, which links back here.</p>
      </section>
    </div>
  );
}
