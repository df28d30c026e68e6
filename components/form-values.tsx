/** What an approver chose and filled in: the option and each form value (in the form's `order` when given), as text (React escapes it). */
export function FormValues({ option, values, order, className }: { option?: unknown; values?: unknown; order?: string[]; className?: string }) {
  const unordered = values && typeof values === "object" && !Array.isArray(values) ? Object.entries(values as Record<string, unknown>) : [];
  // jsonb keeps keys in its own order; the form's order (when known) is the one the approver filled them in.
  const rank = (k: string) => (order?.includes(k) ? order.indexOf(k) : Number.MAX_SAFE_INTEGER);
  const entries = unordered.sort(([a], [b]) => rank(a) - rank(b));
  if (typeof option !== "string" && !entries.length) return null;
  return (
    <dl aria-label="Chosen option and form values" className={`grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 text-xs ${className ?? ""}`}>
      {typeof option === "string" && (
        <div className="contents">
          <dt className="text-slate-500">option</dt>
          <dd className="break-words font-medium">{option}</dd>
        </div>
      )}
      {entries.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-mono text-slate-500">{k}</dt>
          <dd className="break-words">{typeof v === "string" ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
