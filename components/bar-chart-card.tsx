"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export type Series = { key: string; label: string };
type Row = Record<string, string | number>;

// Colour-blind-safe palette (Okabe–Ito); each series also has its name in the legend and table.
const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];

/** A bar chart with its numbers beside it as a table, so nothing is told by the picture alone. */
export function BarChartCard({ title, description, data, xKey, xLabel, series, stacked = false, unit }: { title: string; description: string; data: Row[]; xKey: string; xLabel: string; series: Series[]; stacked?: boolean; unit?: string }) {
  const id = title.toLowerCase().replace(/\W+/g, "-");
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <h2 id={id} className="font-semibold">
        {title}
      </h2>
      <p className="text-sm text-slate-600">{description}</p>
      {data.length === 0 ? (
        <p className="py-10 text-center text-sm text-slate-500">No data in this window.</p>
      ) : (
        <>
          {/* The picture is for the eye; the table below carries the same numbers for everyone. */}
          <div className="mt-3 h-56" aria-hidden>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} margin={{ top: 4, right: 8, bottom: 4, left: 0 }} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                <XAxis dataKey={xKey} tick={{ fontSize: 11 }} />
                <YAxis tick={{ fontSize: 11 }} allowDecimals={false} unit={unit} width={48} />
                <Tooltip />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {series.map((s, i) => (
                  <Bar key={s.key} dataKey={s.key} name={s.label} fill={palette[i % palette.length]} stackId={stacked ? "a" : undefined} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          <details className="mt-2 text-sm">
            <summary className="cursor-pointer text-slate-700">Show the numbers</summary>
            <table className="mt-2 w-full text-left">
              <caption className="sr-only">{title}</caption>
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th scope="col" className="py-1">{xLabel}</th>
                  {series.map((s) => (
                    <th key={s.key} scope="col" className="py-1 text-right">
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 tabular-nums">
                {data.map((row) => (
                  <tr key={String(row[xKey])}>
                    <th scope="row" className="py-1 text-left font-normal">{row[xKey]}</th>
                    {series.map((s) => (
                      <td key={s.key} className="py-1 text-right">
                        {row[s.key] ?? 0}
                        {unit && row[s.key] !== undefined ? ` ${unit}` : ""}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}
