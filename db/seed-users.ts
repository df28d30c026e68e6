import type { Role } from "./schema";

/** Seeded only in demo mode, and shown on the sign-in page only then. */
export const DEMO_PASSWORD = "flowgate-demo";
export const demoUsers: { email: string; name: string; role: Role }[] = [
  { email: "operator@flowgate.dev", name: "Olivia Operator", role: "operator" },
  { email: "approver@flowgate.dev", name: "Avery Approver", role: "approver" },
  { email: "auditor@flowgate.dev", name: "Aude Auditor", role: "auditor" },
  { email: "admin@flowgate.dev", name: "Ada Admin", role: "admin" },
  { email: "dana@flowgate.dev", name: "Dana Approver", role: "approver" },
];
