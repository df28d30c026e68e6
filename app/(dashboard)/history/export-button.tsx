"use client";

import { Download } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";

/**
 * Downloads exactly what the current filter shows, streaming it while counting rows against
 * the server's total so a long export shows its progress.
 */
export function ExportButton({ query }: { query: string }) {
  const [format, setFormat] = useState<"csv" | "ndjson">("csv");
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);

  async function run() {
    setProgress({ done: 0, total: 0 });
    try {
      const response = await fetch(`/api/v1/history/export?${query}${query ? "&" : ""}format=${format}`);
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
        throw new Error(body?.error?.message ?? `Export failed (${response.status})`);
      }
      const total = Number(response.headers.get("x-total-count") ?? 0);
      const reader = response.body.getReader();
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      let newlines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value as Uint8Array<ArrayBuffer>);
        for (const byte of value) if (byte === 10) newlines++;
        setProgress({ done: Math.max(0, newlines - (format === "csv" ? 1 : 0)), total });
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? `flowgate-history.${format}`;
      const url = URL.createObjectURL(new Blob(chunks, { type: response.headers.get("content-type") ?? "text/plain" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      toast.success(`Exported ${total.toLocaleString("en")} rows`);
    } catch (error) {
      toast.error(error instanceof Error ? error.message : "Export failed");
    } finally {
      setProgress(null);
    }
  }

  return (
    <div className="flex items-end gap-2">
      <div>
        <label htmlFor="export-format" className="mb-1 block text-xs font-medium text-slate-600">
          Format
        </label>
        <Select id="export-format" value={format} onChange={(e) => setFormat(e.target.value as "csv" | "ndjson")} className="w-28">
          <option value="csv">CSV</option>
          <option value="ndjson">NDJSON</option>
        </Select>
      </div>
      <Button variant="secondary" onClick={run} disabled={progress !== null}>
        <Download className="size-4" aria-hidden /> {progress ? "Exporting…" : "Export"}
      </Button>
      {progress && (
        <span role="status" className="text-sm text-slate-600">
          {progress.done.toLocaleString("en")} of {progress.total.toLocaleString("en")} rows
          <progress className="ml-2 align-middle" max={progress.total || 1} value={progress.done} aria-label="Export progress" />
        </span>
      )}
    </div>
  );
}
