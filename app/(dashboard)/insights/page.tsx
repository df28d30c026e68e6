import type { Metadata } from "next";
import { BarChartCard } from "@/components/bar-chart-card";
import { getDb } from "@/db/client";
import { insights } from "@/lib/audit/insights";
import { requirePage } from "@/lib/auth/current-user";

export const metadata: Metadata = { title: "Insights" };

export default async function InsightsPage() {
  await requirePage("history:read");
  const data = await insights(getDb(), 14);
  const workflows = [...new Set(data.pausesPerDay.map((r) => r.workflow))].sort();
  const perDay = Object.values(
    data.pausesPerDay.reduce<Record<string, Record<string, string | number>>>((acc, r) => {
      (acc[r.day] ??= { day: r.day })[r.workflow] = r.count;
      return acc;
    }, {}),
  );
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Insights</h1>
        <p className="text-sm text-slate-600">The last {data.windowDays} days of pauses and approvals, from the same history auditors browse.</p>
      </div>
      <div className="grid gap-4 xl:grid-cols-2">
        <BarChartCard title="Pauses per workflow per day" description="Every pause, by whoever or whatever paused." data={perDay} xKey="day" xLabel="Day (UTC)" series={workflows.map((w) => ({ key: w, label: w }))} stacked />
        <BarChartCard title="Time spent paused" description="Total minutes between pause and resume, by workflow." data={data.pausedTime} xKey="workflow" xLabel="Workflow" series={[{ key: "pausedMinutes", label: "Minutes paused" }, { key: "pauses", label: "Resumed pauses" }]} />
        <BarChartCard title="Gate wait times" description="From request to decision, by stage: median and 95th percentile." data={data.gateWaits} xKey="stage" xLabel="Stage" series={[{ key: "medianMinutes", label: "Median (min)" }, { key: "p95Minutes", label: "p95 (min)" }, { key: "decided", label: "Gates decided" }]} />
        <BarChartCard title="Forced resumes and rejections" description="Resumes that skipped their condition, and gates rejected, per day." data={data.outcomes} xKey="day" xLabel="Day (UTC)" series={[{ key: "forcedResumes", label: "Forced resumes" }, { key: "rejections", label: "Rejections" }]} />
      </div>
    </div>
  );
}
