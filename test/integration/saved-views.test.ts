import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { savedViews } from "@/db/schema";
import { createSavedView, deleteSavedView, listSavedViews, renameSavedView } from "@/lib/instances/saved-views";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

// Saved views of the instance list (issue 12 §2): personal or shared, changed only by their
// owner, shared ones deletable by admins; the filter is validated like the list's own.

const t = await freshDatabase();
const ana = await createUser(t.db, "operator");
const ben = await createUser(t.db, "auditor");
const admin = await createUser(t.db, "admin");
const filter = { status: "paused", input: "customer=acme", sort: "started" };
const count = async () => (await t.db.select().from(savedViews)).length;

describe("saving", () => {
  it("keeps the filter and sort, and gives the query string that opens it", async () => {
    const view = await createSavedView(t.db, ana, { name: "  Paused acme ", filter });
    expect(view).toMatchObject({ name: "Paused acme", shared: false, mine: true, filter: { status: "paused", input: "customer=acme", sort: "started" } });
    expect(new URLSearchParams(view.query).get("input")).toBe("customer=acme");
    expect(new URLSearchParams(view.query).get("sort")).toBe("started");
  });

  it("refuses a blank or taken name (whatever its case) and a bad filter with field errors, saving nothing", async () => {
    const before = await count();
    await expect(createSavedView(t.db, ana, { name: "  ", filter })).rejects.toMatchObject({ code: "invalid", fields: { name: ["Give the view a name"] } });
    await expect(createSavedView(t.db, ana, { name: "PAUSED ACME", filter })).rejects.toMatchObject({ code: "invalid", fields: { name: [expect.stringContaining("already have a view")] } });
    await expect(createSavedView(t.db, ana, { name: "Bad", filter: { input: "customer" } })).rejects.toMatchObject({ code: "invalid", fields: { "filter.input": [expect.stringContaining("field=value")] } });
    await expect(createSavedView(t.db, ana, { name: "x".repeat(61), filter })).rejects.toMatchObject({ code: "invalid" });
    expect(await count()).toBe(before);
  });

  it("another user may use the same name", async () => {
    await expect(createSavedView(t.db, ben, { name: "Paused acme", filter })).resolves.toMatchObject({ mine: true });
  });
});

describe("who sees what", () => {
  it("personal views are their owner's alone; shared ones everyone's, marked with their owner", async () => {
    const personal = await createSavedView(t.db, ana, { name: "Mine only", filter });
    const shared = await createSavedView(t.db, ana, { name: "Team failures", shared: "on", filter: { status: "failed" } });
    const bens = await listSavedViews(t.db, ben);
    expect(bens.map((v) => v.id)).toContain(shared.id);
    expect(bens.map((v) => v.id)).not.toContain(personal.id);
    expect(bens.find((v) => v.id === shared.id)).toMatchObject({ mine: false, ownerLabel: ana.email });
    // Own views first.
    expect(bens[0]!.mine).toBe(true);
  });
});

describe("changing", () => {
  it("only the owner renames, from the version they saw", async () => {
    const view = await createSavedView(t.db, ana, { name: "Rename me", shared: true, filter });
    await expect(renameSavedView(t.db, ben, view.id, { name: "Ben's now", version: view.version })).rejects.toMatchObject({ code: "forbidden" });
    const renamed = await renameSavedView(t.db, ana, view.id, { name: "Renamed", version: view.version });
    expect(renamed).toMatchObject({ name: "Renamed", version: view.version + 1 });
    await expect(renameSavedView(t.db, ana, view.id, { name: "Stale", version: view.version })).rejects.toMatchObject({ code: "conflict" });
    const [row] = await t.db.select().from(savedViews).where(eq(savedViews.id, view.id));
    expect(row!.name).toBe("Renamed");
  });

  it("another's personal view cannot be found, let alone changed", async () => {
    const view = await createSavedView(t.db, ana, { name: "Secret", filter });
    await expect(renameSavedView(t.db, ben, view.id, { name: "x", version: 1 })).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteSavedView(t.db, admin, view.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteSavedView(t.db, ben, "not-a-uuid")).rejects.toMatchObject({ code: "not_found" });
  });

  it("a shared view is deleted by its owner or an admin, not by another user", async () => {
    const a = await createSavedView(t.db, ana, { name: "Shared A", shared: true, filter });
    const b = await createSavedView(t.db, ana, { name: "Shared B", shared: true, filter });
    await expect(deleteSavedView(t.db, ben, a.id)).rejects.toMatchObject({ code: "forbidden" });
    expect(await deleteSavedView(t.db, admin, a.id)).toBe("Shared A");
    expect(await deleteSavedView(t.db, ana, b.id)).toBe("Shared B");
    expect(await t.db.select().from(savedViews).where(eq(savedViews.name, "Shared A"))).toEqual([]);
  });

  it("a view whose stored filter today's rules refuse is left out, not shown broken", async () => {
    const view = await createSavedView(t.db, ana, { name: "Old rules", filter });
    await t.db.update(savedViews).set({ filter: { status: "bogus" } }).where(eq(savedViews.id, view.id));
    expect((await listSavedViews(t.db, ana)).map((v) => v.id)).not.toContain(view.id);
  });
});
