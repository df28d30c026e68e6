/** What an approver chose and filled in: the option and each form value, as text (React escapes it). */
export function FormValues({ option, values, className }: { option?: unknown; values?: unknown; className?: string }) {
  const entries = values && typeof values === "object" && !Array.isArray(values) ? Object.entries(values as Record<string, unknown>) : [];
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
