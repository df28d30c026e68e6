import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { cn } from "@/components/ui/cn";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { delegateCandidatesFor, inboxFor, recentlyDecided } from "@/lib/gates/queries";
import { GateCard } from "./gate-card";

export const metadata: Metadata = { title: "Approvals" };

export default async function ApprovalsPage({ searchParams }: { searchParams: Promise<{ view?: string }> }) {
  const user = await requirePage("instances:read");
  const decider = can(user, "gates:decide");
  const view = (await searchParams).view === "decided" || !decider ? "decided" : "pending";
  const db = getDb();
  const items = view === "pending" ? await inboxFor(db, user) : await recentlyDecided(db);
  const delegates = view === "pending" ? await delegateCandidatesFor(db, user, items) : undefined;

  return (
    <div className="space-y-4">
      <AutoRefresh everyMs={5000} />
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Approvals</h1>
        <p className="text-sm text-slate-600">{decider ? "Gates waiting for your decision, oldest first. You never see requests you started yourself." : "Recently decided gates. Your role reads approvals; approvers decide them."}</p>
      </div>
      {decider && (
        <nav aria-label="Approval views" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5 text-sm">
          {(["pending", "decided"] as const).map((v) => (
            <Link key={v} href={v === "pending" ? "/approvals" : "/approvals?view=decided"} aria-current={view === v ? "page" : undefined} className={cn("rounded px-3 py-1.5 font-medium", view === v ? "bg-slate-900 text-white" : "text-slate-700 hover:bg-slate-100")}>
              {v === "pending" ? "Waiting for me" : "Decided"}
            </Link>
          ))}
        </nav>
      )}
      {items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">{view === "pending" ? "Nothing waits for you. New requests appear here as instances reach their gates." : "No gate has been decided yet."}</p>
      ) : (
        <div className="space-y-3">
          {items.map((item) => (
            <GateCard
              key={item.gate.id}
              item={item}
              delegates={delegates && (delegates.get(item.gate.id) ?? [])}
            />
          ))}
        </div>
      )}
    </div>
  );
}
