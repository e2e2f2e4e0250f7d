/** @module Which URLs a public subscriber may register: http(s) only, and no private or loopback addresses unless allowed. */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { RequestOptions } from "node:http";
import { BlockList, isIP } from "node:net";
import { HaetaeError } from "../../protocol/index.js";

/**
 * Addresses a stranger's webhook must never make this server call: loopback, private ranges,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, unspecified.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(net, prefix, "ipv6");
}

/** True for an address in a private, loopback, link-local or otherwise non-public range. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, "ipv4");
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return PRIVATE.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Check a subscriber's URL: absolute http or https, no credentials, at most 2,000 characters;
 * and, unless `allowPrivate`, not a literal private address or `localhost`. Names are checked
 * again when each delivery resolves them (see `publicOnlyLookup`), so a name that later points
 * inside the network is refused then.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  if (raw.length > 2000) throw new HaetaeError("invalid_request", "url: at most 2,000 characters.");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HaetaeError("invalid_request", "url: not an absolute URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HaetaeError("invalid_request", "url: only http and https are allowed.");
  }
  if (url.username || url.password) throw new HaetaeError("invalid_request", "url: must not carry credentials.");
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (host === "localhost" || host.endsWith(".localhost") || (isIP(host) !== 0 && isPrivateAddress(host))) {
      throw new HaetaeError("invalid_request", "url: private, loopback and link-local addresses are not allowed.");
    }
  }
  return url.toString();
}

/**
 * A DNS lookup for `http.request` that fails when a name resolves to a private address. It
 * runs at connect time, so a name that passed at subscription and was re-pointed later (DNS
 * rebinding) is still refused.
 */
export const publicOnlyLookup: NonNullable<RequestOptions["lookup"]> = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return (callback as (e: Error) => void)(error);
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused || addresses.length === 0) {
      return (callback as (e: Error) => void)(
        new Error(`${hostname} resolves to a private address (${refused?.address ?? "none"}); refused`),
      );
    }
    if ((options as { all?: boolean }).all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0] as LookupAddress;
    (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
  });
};
