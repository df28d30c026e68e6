import "server-only";
import dns from "node:dns";
import { lookup } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from "undici";
import { invalid } from "@/lib/errors";

/*
 * The SSRF guard for every URL Flowgate calls on someone's say-so (webhook subscriptions, chat
 * channels, a person's chat webhook): an admin, or any user for their own chat URL, must not be
 * able to make the worker POST into the private network (a cloud metadata endpoint, a database's
 * HTTP port, the dashboard itself). Targets in private, loopback, link-local and other
 * non-public ranges are refused unless FLOWGATE_OUTBOUND_ALLOW lists them (CIDRs, comma-separated):
 * a receiver inside your network, or 127.0.0.1/32 in tests.
 *
 * Two checks, because a name can answer differently each time it is asked (DNS rebinding: public
 * when checked, 169.254.169.254 a millisecond later when connected): outboundRefusal explains a
 * refusal up front (when saving, and before each send), and outboundFetch checks the very address
 * it connects to, in the socket's own lookup, so no answer given between the two gets through.
 */

/** Ranges that are not the public internet (RFC 1918, 6598, 3927, 4193, 4291 and friends). */
const NON_PUBLIC: [string, number, "ipv4" | "ipv6"][] = [
  ["0.0.0.0", 8, "ipv4"],
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"],
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"],
  ["224.0.0.0", 3, "ipv4"],
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["fc00::", 7, "ipv6"],
  ["fe80::", 10, "ipv6"],
  ["ff00::", 8, "ipv6"],
];

const nonPublic = new BlockList();
for (const [address, prefix, family] of NON_PUBLIC) nonPublic.addSubnet(address, prefix, family);

/**
 * Parses an allow list: comma-separated CIDRs (`127.0.0.1/32, 10.20.0.0/16, ::1/128`) or bare
 * addresses. Throws an Error naming the entry that is neither.
 */
export function parseAllowList(raw: string | undefined): BlockList {
  const allow = new BlockList();
  for (const entry of (raw ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix] = entry.split("/");
    const family = isIP(address ?? "");
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw new Error(`FLOWGATE_OUTBOUND_ALLOW: "${entry}" is not an address or CIDR`);
    allow.addSubnet(address!, bits, family === 6 ? "ipv6" : "ipv4");
  }
  return allow;
}

let cached: BlockList | undefined;
/** The allow list from FLOWGATE_OUTBOUND_ALLOW, read once. */
export function outboundAllowList(): BlockList {
  cached ??= parseAllowList(process.env.FLOWGATE_OUTBOUND_ALLOW);
  return cached;
}

/** An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address it maps. */
function normalise(address: string): { address: string; family: "ipv4" | "ipv6" } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: "ipv4" };
  return { address, family: isIP(address) === 6 ? "ipv6" : "ipv4" };
}

/** Whether Flowgate may call this address: public, or allowed. */
export function addressAllowed(address: string, allow: BlockList = outboundAllowList()): boolean {
  const a = normalise(address);
  return !nonPublic.check(a.address, a.family) || allow.check(a.address, a.family);
}

/**
 * Why Flowgate must not call `url`, or null when it may: its host is (or resolves to) an address
 * in a non-public range that the allow list does not permit. Every address the name resolves to is
 * checked. `resolve: "lenient"` (saving a URL) lets a name that does not resolve now pass, since it
 * is checked again at every send; `"strict"` (sending) refuses it.
 */
export async function outboundRefusal(url: string, options: { resolve: "strict" | "lenient"; allow?: BlockList } = { resolve: "strict" }): Promise<string | null> {
  const allow = options.allow ?? outboundAllowList();
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return "Not a URL";
  }
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch (error) {
      return options.resolve === "lenient" ? null : `${host} does not resolve (${(error as { code?: string }).code ?? "lookup failed"})`;
    }
  }
  const refused = addresses.find((a) => !addressAllowed(a, allow));
  return refused ? `${host} is a private, loopback or link-local address (${refused}); Flowgate calls only public addresses unless FLOWGATE_OUTBOUND_ALLOW lists it` : null;
}

/**
 * For a use case saving a URL: throws 400 naming `field` when outboundRefusal refuses it (a name
 * that does not resolve now passes; sends check again).
 */
export async function assertOutboundAllowed(url: string, field: string): Promise<void> {
  const refused = await outboundRefusal(url, { resolve: "lenient" });
  if (refused) throw invalid(refused, { [field]: [refused] });
}

/**
 * A `lookup` for net.connect that resolves as usual and fails with EOUTBOUNDREFUSED when any
 * address the name resolves to is refused by `allow` (the same rule as addressAllowed). It is the
 * lookup whose answer the socket connects to, so a name that rebinds between checks is caught here.
 */
export function guardedLookup(allow: BlockList = outboundAllowList()): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 4);
      const refused = addresses.find((a) => !addressAllowed(a.address, allow));
      if (refused || !addresses.length) {
        const why = refused
          ? `${hostname} resolved to ${refused.address}, a private, loopback or link-local address, when connecting; Flowgate calls only public addresses unless FLOWGATE_OUTBOUND_ALLOW lists it`
          : `${hostname} resolved to no address`;
        return callback(Object.assign(new Error(why), { code: "EOUTBOUNDREFUSED" }), "", 4);
      }
      // net.connect asks for every address (`all`, for happy eyeballs) or for one.
      if (options.all) (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** A connection pool whose every socket connects only to allowed addresses (guardedLookup). */
export function outboundAgent(allow: BlockList = outboundAllowList()): Agent {
  return new Agent({ connect: { lookup: guardedLookup(allow) } });
}

/** What outboundFetch answers: undici's Response (the same shape as the global one). */
export type OutboundResponse = Response;

let sharedAgent: Agent | undefined;

/**
 * fetch for every call Flowgate makes on someone's say-so: the URL is refused up front when
 * outboundRefusal refuses it, and again at connect time for whatever address the name resolves to
 * then (a literal IP needs no lookup and was checked up front). Redirects are the caller's choice
 * and should be "manual", since a redirect's target is another URL. Throws as fetch does; a
 * refusal at connect time is a TypeError whose cause has code EOUTBOUNDREFUSED.
 */
export function outboundFetch(url: string, init: RequestInit & { agent?: Agent }): Promise<Response> {
  const { agent, ...rest } = init;
  sharedAgent ??= outboundAgent();
  return undiciFetch(url, { ...rest, dispatcher: agent ?? sharedAgent });
}
