import Link from "next/link";

/**
 * A history row written by a bulk operation by filter carries its id (`details.bulkOperationId`):
 * a link to that operation, or nothing for any other row.
 */
export function BulkOperationLink({ details }: { details: Record<string, unknown> }) {
  const id = details.bulkOperationId;
  if (typeof id !== "string") return null;
  return (
    <Link href={`/bulk-operations/${id}`} className="ml-1 text-xs text-indigo-700 underline underline-offset-2" aria-label={`Bulk operation ${id}`}>
      bulk operation {id.slice(0, 8)}
    </Link>
  );
}
