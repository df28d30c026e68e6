import { describe, expect, it } from "vitest";
import { sendNotification } from "@/lib/notifications/delivery";
import { addressAllowed, outboundRefusal, parseAllowList } from "@/lib/outbound";
import { sendDelivery } from "@/lib/webhooks/delivery";

// Issue 13 leftovers: the SSRF guard. Tests run with FLOWGATE_OUTBOUND_ALLOW=127.0.0.1/32,::1/128
// (vitest.config.ts), so the cases below pass their own allow lists or use ranges it does not cover.
const none = parseAllowList("");

describe("the SSRF guard", () => {
  it("refuses private, loopback, link-local and mapped addresses, and lets public ones through", () => {
    for (const a of ["127.0.0.1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"]) {
      expect(addressAllowed(a, none), a).toBe(false);
    }
    for (const a of ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"]) expect(addressAllowed(a, none), a).toBe(true);
  });

  it("an allow list opens exactly the ranges it names", () => {
    const allow = parseAllowList("127.0.0.1/32, 10.20.0.0/16");
    expect(addressAllowed("127.0.0.1", allow)).toBe(true);
    expect(addressAllowed("10.20.3.4", allow)).toBe(true);
    expect(addressAllowed("10.21.0.1", allow)).toBe(false);
    expect(addressAllowed("127.0.0.2", allow)).toBe(false);
    expect(() => parseAllowList("10.0.0.0/33")).toThrow('FLOWGATE_OUTBOUND_ALLOW: "10.0.0.0/33" is not an address or CIDR');
  });

  it("checks what a name resolves to, and a name that does not resolve only when sending", async () => {
    expect(await outboundRefusal("http://localhost:8080/hook", { resolve: "strict", allow: none })).toMatch(/^localhost is a private, loopback or link-local address \((127\.0\.0\.1|::1)\)/);
    expect(await outboundRefusal("http://[::1]:8080/hook", { resolve: "strict", allow: none })).toMatch(/^::1 is a private/);
    expect(await outboundRefusal("http://93.184.216.34/hook", { resolve: "strict", allow: none })).toBeNull();
    expect(await outboundRefusal("http://no-such-host.invalid/hook", { resolve: "lenient", allow: none })).toBeNull();
    expect(await outboundRefusal("http://no-such-host.invalid/hook", { resolve: "strict", allow: none })).toMatch(/^no-such-host\.invalid does not resolve/);
  });

  it("a webhook delivery and a chat notification to a link-local address fail without a request, saying why", async () => {
    const webhook = await sendDelivery({ url: "http://169.254.169.254/latest/meta-data", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", webhookId: "evt_1", body: "{}" }, { timeoutMs: 2_000 });
    expect(webhook).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/^169\.254\.169\.254 is a private, loopback or link-local address/) });
    const chat = await sendNotification({ transport: "chat", target: "http://10.0.0.1/hook", subject: "s", message: { text: "t", html: "h", chat: {} } }, { sendMail: null, timeoutMs: 2_000 });
    expect(chat).toMatchObject({ ok: false, error: expect.stringMatching(/^10\.0\.0\.1 is a private/) });
  });
});
