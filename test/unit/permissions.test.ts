import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { roles, type Role } from "@/lib/domain";
import { authorize, can, type Permission, type SessionUser } from "@/lib/auth/permissions";

const as = (role: Role): SessionUser => ({ id: `00000000-0000-4000-8000-00000000000${roles.indexOf(role)}`, email: `${role}@example.com`, name: role, role });

describe("the role matrix", () => {
  it("pausing and resuming a whole workflow are permissions of their own, held by operators and admins", () => {
    const holders = (permission: Permission) => roles.filter((role) => can(as(role), permission));
    expect(holders("workflows:pause")).toEqual(["operator", "admin"]);
    expect(holders("workflows:resume")).toEqual(["operator", "admin"]);
    expect(() => authorize(as("approver"), "workflows:pause")).toThrow("The approver role cannot pause workflows");
  });

  it("maintenance windows and the start policy of a paused workflow are operators' and admins' permissions", () => {
    const holders = (permission: Permission) => roles.filter((role) => can(as(role), permission));
    expect(holders("windows:manage")).toEqual(["operator", "admin"]);
    expect(holders("workflows:policy")).toEqual(["operator", "admin"]);
    expect(() => authorize(as("auditor"), "windows:manage")).toThrow("The auditor role cannot manage maintenance windows");
    expect(() => authorize(as("approver"), "workflows:policy")).toThrow("The approver role cannot change what a paused workflow does with new starts");
  });

  it("deciding a gate restricted to another role is a permission (admins), not a role compared in the gate rules", () => {
    expect(roles.filter((role) => can(as(role), "gates:decide-any-role"))).toEqual(["admin"]);
  });
});

describe("saved views", () => {
  it("every role that reads the list may save views of it; deleting someone else's shared view is for admins alone", () => {
    expect(roles.filter((role) => can(as(role), "views:save"))).toEqual([...roles]);
    expect(roles.filter((role) => can(as(role), "views:delete-shared"))).toEqual(["admin"]);
    expect(() => authorize(as("operator"), "views:delete-shared")).toThrow("The operator role cannot delete other people's shared views");
  });
});

describe("retry", () => {
  it("retrying a failed instance is a permission of its own, held by operators and admins", () => {
    expect(roles.filter((role) => can(as(role), "instances:retry"))).toEqual(["operator", "admin"]);
    expect(() => authorize(as("auditor"), "instances:retry")).toThrow("The auditor role cannot retry failed instances");
  });
});

describe("webhooks", () => {
  it("managing webhooks (subscriptions, the delivery log, replays) is a permission of admins alone", () => {
    expect(roles.filter((role) => can(as(role), "webhooks:manage"))).toEqual(["admin"]);
    expect(() => authorize(as("operator"), "webhooks:manage")).toThrow("The operator role cannot manage webhooks");
  });
});

describe("notifications", () => {
  it("managing notification channels and reading the notification log is a permission of admins alone", () => {
    expect(roles.filter((role) => can(as(role), "notifications:manage"))).toEqual(["admin"]);
    expect(() => authorize(as("approver"), "notifications:manage")).toThrow("The approver role cannot manage notification channels");
  });

  it("everyone signed in chooses their own notifications", () => {
    expect(roles.filter((role) => can(as(role), "notifications:own"))).toEqual([...roles]);
  });
});

describe("role checks have one home", () => {
  // A role compared with a literal outside lib/auth/permissions.ts is a rule the matrix does not
  // know about: granting a permission to another role would silently miss it.
  const roleLiteral = new RegExp(`\\brole\\s*[!=]==?\\s*"(${roles.join("|")})"|"(${roles.join("|")})"\\s*[!=]==?\\s*\\w*\\.?role\\b`);
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const file = path.join(dir, e.name);
      if (e.isDirectory()) return sources(file);
      return /\.(ts|tsx)$/.test(e.name) ? [file] : [];
    });

  it("no module of app/, components/, lib/ or engine/ but lib/auth/permissions.ts compares a role with a role name", () => {
    const offenders = ["app", "components", "lib", "engine"]
      .flatMap(sources)
      .filter((file) => file !== path.join("lib", "auth", "permissions.ts"))
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .map((line, i) => ({ where: `${file}:${i + 1}`, line: line.trim() }))
          .filter(({ line }) => roleLiteral.test(line)),
      );
    expect(offenders).toEqual([]);
  });
});
