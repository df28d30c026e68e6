import type { Metadata } from "next";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { countByStatus, listInstances, listWorkflowKeys } from "@/lib/instances/queries";
import { AppError } from "@/lib/errors";
import { listSavedViews } from "@/lib/instances/saved-views";
import { InstancesTable } from "./instances-table";
import { parseListFilters } from "@/lib/instances/list-filter";

export const metadata: Metadata = { title: "Instances" };

export default async function InstancesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePage("instances:read");
  const filters = parseListFilters(await searchParams);
  const db = getDb();
  const [workflows, counts, views, initial] = await Promise.all([
    listWorkflowKeys(db),
    countByStatus(db),
    listSavedViews(db, user),
    listInstances(db, filters).catch((error: unknown) => {
      if (error instanceof AppError) return null;
      throw error;
    }),
  ]);
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Instances</h1>
        <p className="text-sm text-slate-600">Workflow instances by status, sorted and searched as you choose; save a view to come back to it.</p>
      </div>
      <InstancesTable canPause={can(user, "instances:pause")} canResume={can(user, "instances:resume")} workflows={workflows} initialCounts={counts} initial={initial ? { filters, page: JSON.parse(JSON.stringify(initial)) } : null} savedViews={views} canDeleteShared={can(user, "views:delete-shared")} />
    </div>
  );
}
