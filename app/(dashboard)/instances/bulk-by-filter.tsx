"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ReasonDialog } from "@/components/reason-dialog";
import { ReasonTagsFields } from "@/components/reason-tags-fields";
import { Field, Select } from "@/components/ui/field";
import type { ActionState } from "@/lib/action-state";
import { describeBulkFilter } from "@/lib/bulk-operations/describe";
import type { BulkAction, BulkFilter } from "@/lib/domain";
import { BULK_RESUME_RATE } from "@/lib/instances/bulk-limits";
import { startBulkByFilterAction } from "./bulk-filter-actions";
import type { ListFilters } from "@/lib/instances/list-filter";

const n = (count: number) => count.toLocaleString("en");

/** The list's filter as a bulk operation takes it (the page's cursor is not part of what matches). */
export function bulkFilterOf(filters: ListFilters): BulkFilter {
  return {
    status: filters.status,
    ...(filters.workflow ? { workflow: filters.workflow } : {}),
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.input ? { input: filters.input } : {}),
  };
}

function useMatchCount(action: BulkAction, filter: BulkFilter, enabled: boolean) {
  const qs = new URLSearchParams(filter as Record<string, string>).toString();
  return useQuery({
    queryKey: ["bulk-count", action, qs],
    queryFn: async ({ signal }) => {
      const response = await fetch(`/api/v1/instances/bulk/${action}?${qs}`, { signal });
      const body = (await response.json()) as { matched: number } | { error: { message: string } };
      if ("error" in body) throw new Error(body.error.message);
      return body.matched;
    },
    enabled,
    refetchInterval: 10_000,
  });
}

/**
 * "Pause all 1,283 running instances of Nightly ETL": acts on every instance the list's filter
 * matches, not only the page on screen. Shows how many match before confirming; on confirm the
 * worker runs it as a bulk operation, and the operator is taken to its page to watch it.
 */
export function BulkByFilter({ filters, workflowName, canPause, canResume }: { filters: ListFilters; workflowName?: string; canPause: boolean; canResume: boolean }) {
  const filter = bulkFilterOf(filters);
  // Only once a filter is chosen: the unfiltered list offering "Pause all" to every visitor would
  // put an emergency stop one slip away. ("All" with a workflow, an id prefix or an input search is a filter.)
  const chosen = filter.status !== "all" || !!filter.workflow || !!filter.q || !!filter.input;
  const showPause = chosen && canPause && filter.status !== "paused";
  const showResume = chosen && canResume && (filter.status === "paused" || filter.status === "all");
  const pauseCount = useMatchCount("pause", filter, showPause);
  const resumeCount = useMatchCount("resume", filter, showResume);
  if (!showPause && !showResume) return null;
  return (
    <div role="region" aria-label="Every match of the filter" className="flex flex-wrap items-center gap-2 text-sm">
      {showPause && <Control action="pause" filter={filter} count={pauseCount.data} workflowName={workflowName} />}
      {showResume && <Control action="resume" filter={filter} count={resumeCount.data} workflowName={workflowName} />}
    </div>
  );
}

function Control({ action, filter, count, workflowName }: { action: BulkAction; filter: BulkFilter; count: number | undefined; workflowName?: string }) {
  const router = useRouter();
  const [mode, setMode] = useState("graceful");
  const what = describeBulkFilter(action, filter, workflowName);
  const verb = action === "pause" ? "Pause" : "Resume";
  const label = count === undefined ? `${verb} all matching` : `${verb} all ${n(count)} matching`;
  const start = async (prev: ActionState, formData: FormData) => {
    const state = await startBulkByFilterAction(action, filter, prev, formData);
    if (state.status === "success" && state.operationId) router.push(`/bulk-operations/${state.operationId}`);
    return state;
  };
  if (count === 0) return <span className="text-xs text-slate-500">{`No ${what} to ${action}`}</span>;
  return (
    <ReasonDialog
      title={count === undefined ? `${verb} every match` : `${verb} ${n(count)} instance${count === 1 ? "" : "s"}`}
      description={
        <>
          <p>
            {verb}s all <strong>{count === undefined ? "…" : n(count)}</strong> {what}, counted just now; each on its own, with its own history row. It runs in the background; you can follow and cancel it.
          </p>
          {action === "resume" && <p className="mt-1">{`Resumed at most ${BULK_RESUME_RATE} a second, so what they call sees a ramp. Each still checks its resume condition.`}</p>}
          <p className="mt-1">An instance that changes before its turn (paused or resumed by someone else, or no longer matching) is refused and reported, not acted on.</p>
        </>
      }
      triggerLabel={label}
      triggerVariant={action === "pause" ? "danger" : "secondary"}
      submitLabel={count === undefined ? `${verb} all` : `${verb} ${n(count)}`}
      reasonLabel="Reason"
      reasonRequired={action === "pause"}
      requiredMessage="Say why you are pausing"
      action={start}
    >
      {(errors) => (
        <>
          {action === "pause" && (
            <Field id="bulk-filter-mode" label="Mode" errors={errors.mode}>
              <Select id="bulk-filter-mode" name="mode" value={mode} onChange={(e) => setMode(e.target.value)} aria-describedby="bulk-filter-mode-error">
                <option value="graceful">Graceful: running steps finish, nothing new starts</option>
                <option value="immediate">Immediate: running steps are stopped and rerun on resume</option>
              </Select>
            </Field>
          )}
          <ReasonTagsFields idPrefix={`bulk-filter-${action}`} errors={errors} />
        </>
      )}
    </ReasonDialog>
  );
}
