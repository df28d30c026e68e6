import { ExternalLink } from "lucide-react";

/** A reason's category chip and ticket link, wherever a reason is shown. */
export function ReasonTags({ category, ticketUrl }: { category?: unknown; ticketUrl?: unknown }) {
  const cat = typeof category === "string" ? category : null;
  const url = typeof ticketUrl === "string" && /^https?:\/\//i.test(ticketUrl) ? ticketUrl : null;
  if (!cat && !url) return null;
  return (
    <span className="inline-flex flex-wrap items-center gap-1.5 text-xs">
      {cat && <span className="rounded bg-slate-100 px-1.5 py-0.5 font-medium text-slate-700">{cat}</span>}
      {url && (
        <a href={url} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-0.5 text-indigo-700 underline">
          ticket <ExternalLink className="size-3" aria-hidden />
          <span className="sr-only">(opens {url})</span>
        </a>
      )}
    </span>
  );
}
