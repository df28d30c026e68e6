import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { describeBulkFilter } from "@/lib/bulk-operations/describe";
import { getBulkOperation } from "@/lib/bulk-operations/queries";
import { AppError } from "@/lib/errors";
import { listWorkflowKeys } from "@/lib/instances/queries";
import { OperationProgress } from "./operation-progress";

export const metadata: Metadata = { title: "Bulk operation" };

/** One bulk operation: who, when, why, the filter, live progress, every refusal; cancel while it runs. */
export default async function BulkOperationPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requirePage("instances:read");
  const { id } = await params;
  const db = getDb();
  const operation = await getBulkOperation(db, id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const workflowName = operation.filter.workflow ? (await listWorkflowKeys(db)).find((w) => w.key === operation.filter.workflow)?.name : undefined;
  const verb = operation.action === "pause" ? "Pause" : "Resume";
  return (
    <div className="space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/bulk-operations" className="text-indigo-700 underline-offset-2 hover:underline">
          Bulk operations
        </Link>
      </nav>
      <h1 className="break-words text-xl font-semibold tracking-tight">
        {verb} {operation.matched.toLocaleString("en")} {describeBulkFilter(operation.action, operation.filter, workflowName)}
      </h1>
      <OperationProgress initial={JSON.parse(JSON.stringify(operation))} canCancel={can(user, operation.action === "pause" ? "instances:pause" : "instances:resume")} />
    </div>
  );
}
