import { RelativeTime } from "@/components/relative-time";
import { cn } from "@/components/ui/cn";
import type { StepLogLine } from "@/lib/domain";
import { utc } from "@/lib/time";
import { duration, stepStyles } from "./step-format";

import type { Step } from "./step-format";
type Run = Step["runs"][number];

/** Output longer than this (JSON text) starts collapsed behind its own disclosure. */
const LARGE_OUTPUT = 400;

const endReasons: Record<NonNullable<Run["endReason"]>, string> = {
  lease_expired: "its worker stopped heartbeating (lease expired)",
  worker_shutdown: "handed back by a worker shutting down",
};

// Words and a mark, never colour alone.
const levelStyles: Record<StepLogLine["level"], string> = {
  info: "text-slate-600",
  warn: "font-semibold text-amber-800",
  error: "font-semibold text-red-700",
  fatal: "font-semibold text-red-800",
};

const codeBlock = "max-h-72 overflow-auto whitespace-pre-wrap break-words rounded bg-slate-900 p-2 font-mono text-xs text-slate-100 dark:border dark:border-slate-200 dark:bg-slate-50 dark:text-slate-900";

/** One step's attempts, newest first: each with its timings, worker, how it ended, error, output and log lines. All text goes through React's escaping. */
export function StepAttempts({ step }: { step: Step }) {
  if (!step.runs.length) {
    return <p className="text-sm text-slate-600">{step.gate ? "Not run yet: it runs once its approval gate is signed off." : "Not run yet: it runs once the steps before it complete."}</p>;
  }
  return (
    <ol aria-label={`Attempts of ${step.name}`} className="space-y-3">
      {[...step.runs].reverse().map((run) => (
        <li key={run.id} className="space-y-2 rounded-md border border-slate-200 bg-white p-3 text-sm">
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <span className="font-medium">Attempt {run.attempt}</span>
            <span className={cn("rounded px-1.5 py-0.5 text-xs font-medium", stepStyles[run.status])}>{run.status}</span>
            <span className="text-slate-600">
              started <RelativeTime value={run.startedAt} />
            </span>
            {run.finishedAt && (
              <span className="text-slate-600" title={utc(new Date(run.finishedAt))}>
                took {duration(run.startedAt, run.finishedAt)}
              </span>
            )}
            {run.workerId && (
              <span className="text-slate-600">
                on <span className="font-mono text-xs">{run.workerId}</span>
              </span>
            )}
          </div>
          {run.endReason && <p className="text-xs text-orange-900">Ended because {endReasons[run.endReason]}</p>}
          {run.error && (
            <div>
              <h4 className="text-xs font-medium text-red-800 dark:text-red-300">Error</h4>
              <pre className="whitespace-pre-wrap break-words rounded bg-red-50 p-2 font-mono text-xs text-red-900">{run.error}</pre>
            </div>
          )}
          {run.status === "completed" && <Output value={run.output} />}
          <Logs run={run} />
        </li>
      ))}
    </ol>
  );
}

function Output({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <p className="text-xs text-slate-500">No output.</p>;
  const text = JSON.stringify(value, null, 2);
  if (text.length <= LARGE_OUTPUT) {
    return (
      <div>
        <h4 className="text-xs font-medium text-slate-700">Output</h4>
        <pre className={codeBlock}>{text}</pre>
      </div>
    );
  }
  return (
    <details>
      <summary className="cursor-pointer text-xs font-medium text-slate-700">Output ({(text.length / 1024).toFixed(1)} KB, show)</summary>
      <pre className={cn(codeBlock, "mt-1")}>{text}</pre>
    </details>
  );
}

function Logs({ run }: { run: Run }) {
  if (!run.logs.length) return <p className="text-xs text-slate-500">No log lines.</p>;
  return (
    <div>
      <h4 className="text-xs font-medium text-slate-700">
        Log ({run.logs.length} line{run.logs.length === 1 ? "" : "s"}
        {run.logsDropped > 0 && `, ${run.logsDropped} older not kept`})
      </h4>
      <ol aria-label={`Log of attempt ${run.attempt}`} className="max-h-72 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-100">
        {run.logs.map((line, i) => (
          <li key={i} className="break-words">
            <time dateTime={line.at} className="text-slate-500">{line.at.slice(11, 23)}</time>{" "}
            <span className={levelStyles[line.level]}>{line.level.toUpperCase()}</span> <span className="text-slate-900">{line.msg}</span>
            {line.fields && <span className="text-slate-500"> {line.fields}</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}
