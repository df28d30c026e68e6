import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// DNS rebinding: a name that is public when Flowgate checks it and private when it connects. The
// resolver is scripted here, per name and per asker: `checks` answers the up-front check
// (node:dns/promises, outboundRefusal), `connects` the socket's own lookup (node:dns, guardedLookup).
const answers = vi.hoisted(() => ({
  checks: new Map<string, string>(),
  connects: new Map<string, string>(),
}));
const familyOf = (a: string) => (a.includes(":") ? 6 : 4);

vi.mock("node:dns/promises", async (original) => {
  const real = await original<typeof import("node:dns/promises")>();
  const lookup = async (host: string, options: object) => {
    const a = answers.checks.get(host);
    return a ? [{ address: a, family: familyOf(a) }] : real.lookup(host, options as never);
  };
  return { ...real, lookup, default: { ...real, lookup } };
});
vi.mock("node:dns", async (original) => {
  const real = await original<typeof import("node:dns")>();
  const lookup = (host: string, options: object, callback: (e: Error | null, a: { address: string; family: number }[]) => void) => {
    const a = answers.connects.get(host);
    if (!a) return real.lookup(host, options as never, callback as never);
    callback(null, [{ address: a, family: familyOf(a) }]);
  };
  return { ...real, lookup, default: { ...real, lookup } };
});

const { sendDelivery } = await import("@/lib/webhooks/delivery");
const { sendNotification } = await import("@/lib/notifications/delivery");

let server: Server;
let port = 0;
const received: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(`${req.headers.host}${req.url}`);
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("the SSRF guard at connect time (lib/outbound.ts outboundFetch)", () => {
  it("connects to the address the socket's own lookup answered, which the guard checked", async () => {
    // Tests allow 127.0.0.1 (vitest.config.ts): a name that answers it reaches the local receiver.
    answers.checks.set("receiver.test", "127.0.0.1");
    answers.connects.set("receiver.test", "127.0.0.1");
    const sent = await sendDelivery({ url: `http://receiver.test:${port}/hook`, secret, webhookId: "evt_ok", body: "{}" }, { timeoutMs: 5_000 });
    expect(sent).toMatchObject({ ok: true, statusCode: 200 });
    expect(received).toContain(`receiver.test:${port}/hook`);
  });

  it("a name public at the check and private at the connect is refused, and nothing is sent", async () => {
    answers.checks.set("rebind.test", "93.184.216.34");
    answers.connects.set("rebind.test", "169.254.169.254");
    const before = received.length;
    const webhook = await sendDelivery({ url: `http://rebind.test:${port}/latest/meta-data`, secret, webhookId: "evt_rebind", body: "{}" }, { timeoutMs: 5_000 });
    expect(webhook).toMatchObject({ ok: false, statusCode: null, error: expect.stringContaining("rebind.test resolved to 169.254.169.254, a private, loopback or link-local address, when connecting") });

    answers.checks.set("chat-rebind.test", "1.1.1.1");
    answers.connects.set("chat-rebind.test", "10.0.0.7");
    const chat = await sendNotification({ transport: "chat", target: `http://chat-rebind.test:${port}/hook`, subject: "s", message: { text: "t", html: "h", chat: {} } }, { sendMail: null, timeoutMs: 5_000 });
    expect(chat).toMatchObject({ ok: false, error: expect.stringContaining("chat-rebind.test resolved to 10.0.0.7") });
    expect(received.length).toBe(before);
  });
});
