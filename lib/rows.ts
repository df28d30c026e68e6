/**
 * The tables' row types, for UI pieces that render rows handed to them as props. Type-only (the
 * types are inferred from the Drizzle tables, their one definition): importing this module adds
 * nothing to a bundle, so components depend on lib/ rather than on db/ (see .dependency-cruiser.cjs).
 */
export type { AuditCheckpoint, GateDecision, GateDelegation, HistoryRow, MaintenanceWindow } from "@/db/schema";
