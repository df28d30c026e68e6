import type { Role } from "./schema";

/** Seeded only in demo mode, and shown on the sign-in page only then. */
export const DEMO_PASSWORD = "flowgate-demo";
export const demoUsers: { email: string; name: string; role: Role; groups: string[] }[] = [
  { email: "operator@flowgate.dev", name: "Olivia Operator", role: "operator", groups: [] },
  { email: "approver@flowgate.dev", name: "Avery Approver", role: "approver", groups: ["release-managers"] },
  { email: "auditor@flowgate.dev", name: "Aude Auditor", role: "auditor", groups: [] },
  { email: "admin@flowgate.dev", name: "Ada Admin", role: "admin", groups: ["release-managers"] },
  { email: "dana@flowgate.dev", name: "Dana Approver", role: "approver", groups: ["release-managers"] },
];
