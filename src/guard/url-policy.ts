/** @module Which URLs and addresses an outbound request may reach: http(s) only, and only public unicast addresses unless allowed. */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { RequestOptions } from "node:http";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { HaetaeError } from "../protocol/index.js";

/**
 * Why an address may not be called, or undefined when it may. An outbound-address policy:
 * tests and closed networks use their own, the public one is `publicAddressRefusal`.
 */
export type AddressPolicy = (address: string) => string | undefined;

/** The only IPv6 block handed out as global unicast (RFC 4291 §2.4); everything outside it is special. */
const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");
/** IPv4-mapped: how a dual-stack socket writes an IPv4 peer, so the IPv4 inside decides. */
const MAPPED = ipaddr.parseCIDR("::ffff:0:0/96");
/** The well-known NAT64 prefix (RFC 6052): DNS64 networks answer public IPv4 hosts with it. */
const NAT64 = ipaddr.parseCIDR("64:ff9b::/96");
/** IPv4-compatible (RFC 4291 §2.5.5.1, deprecated): `::a.b.c.d`, refused whatever the IPv4 inside. */
const COMPATIBLE = ipaddr.parseCIDR("::/96");
/** 6to4 (RFC 3056): the IPv4 address sits in bits 16–48; a relay would forward to it. */
const SIX_TO_FOUR = ipaddr.parseCIDR("2002::/16");

/**
 * The IPv4 policy: only what ipaddr.js calls `unicast` (public), so loopback, private, link-local
 * (cloud metadata at 169.254.169.254), CGNAT, 192.0.0.0/24, documentation, benchmarking, 6to4
 * relay anycast, multicast, broadcast, 240/4 and 0/8 are all refused by their range name.
 */
function refuseV4(v4: ipaddr.IPv4): string | undefined {
  const range = v4.range();
  return range === "unicast" ? undefined : `${range} (${v4.toString()})`;
}

/** The IPv4 address in bits 16–48 of a 6to4 address. */
function sixToFourV4(v6: ipaddr.IPv6): ipaddr.IPv4 {
  const p = v6.parts;
  return new ipaddr.IPv4([(p[1] ?? 0) >> 8, (p[1] ?? 0) & 0xff, (p[2] ?? 0) >> 8, (p[2] ?? 0) & 0xff]);
}

/** The IPv4 address in the last 32 bits (mapped, NAT64 /96). */
function lowV4(v6: ipaddr.IPv6): ipaddr.IPv4 {
  const p = v6.parts;
  return new ipaddr.IPv4([(p[6] ?? 0) >> 8, (p[6] ?? 0) & 0xff, (p[7] ?? 0) >> 8, (p[7] ?? 0) & 0xff]);
}

function refuseV6(v6: ipaddr.IPv6): string | undefined {
  // The forms that embed an IPv4 address and can be reached on real networks: the IPv4 inside decides.
  if (v6.match(MAPPED)) return embedded("IPv4-mapped", lowV4(v6));
  if (v6.match(NAT64)) return embedded("NAT64", lowV4(v6));
  if (v6.match(SIX_TO_FOUR)) return embedded("6to4", sixToFourV4(v6));
  // Everything else outside 2000::/3 is special: ::1, ::, IPv4-compatible ::a.b.c.d, IPv4-translated
  // ::ffff:0:a.b.c.d, local-use NAT64 64:ff9b:1::/48, discard, unique-local, link-local, site-local, multicast.
  if (!v6.match(GLOBAL_UNICAST)) {
    const range = v6.range();
    if (range === "unicast" && v6.match(COMPATIBLE)) return `IPv4-compatible, deprecated (${v6.toString()})`;
    if (range === "rfc6145") return `IPv4-translated (${v6.toString()})`;
    if (range === "rfc6052") return `local-use NAT64 (${v6.toString()})`;
    return `${range === "unicast" ? "reserved" : range} (${v6.toString()})`;
  }
  // Inside it, ipaddr.js names Teredo (its client address is only obfuscated), documentation,
  // benchmarking, ORCHID, AMT and the rest of 2001::/23.
  const range = v6.range();
  return range === "unicast" ? undefined : `${range} (${v6.toString()})`;
}

function embedded(form: string, v4: ipaddr.IPv4): string | undefined {
  const refusal = refuseV4(v4);
  return refusal === undefined ? undefined : `${refusal} inside ${form}`;
}

/**
 * The public policy: an address may be called only when it is public unicast, looking through
 * every IPv6 form that carries an IPv4 address. Anything that does not parse is refused rather
 * than guessed at.
 */
export const publicAddressRefusal: AddressPolicy = (address) => {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 0) return `not an address (${address})`;
  // ipaddr.js reads a dotted tail as IPv4-mapped (`::8.8.8.8` as `::ffff:8.8.8.8`); the WHATWG
  // form is all hex and is exactly what a socket would connect to, so classify that.
  const canonical = family === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare;
  if (!ipaddr.isValid(canonical)) return `not an address (${address})`;
  const parsed = ipaddr.parse(canonical);
  return parsed.kind() === "ipv4" ? refuseV4(parsed as ipaddr.IPv4) : refuseV6(parsed as ipaddr.IPv6);
};

/** True for an address the public policy refuses (private, loopback, link-local, reserved, embedded forms of those). */
export function isPrivateAddress(address: string): boolean {
  return publicAddressRefusal(address) !== undefined;
}

/** The error an outbound connection fails with when the policy refuses its address; deliveries that meet it are not retried. */
export class AddressRefusedError extends Error {
  readonly code = "ERR_ADDRESS_REFUSED";
}

/**
 * Check a subscriber's URL: absolute http or https, no credentials, at most 2,000 characters;
 * and, unless `allowPrivate`, not `localhost` nor a literal address the public policy refuses.
 * The WHATWG parser has already turned `127.1`, `2130706433` and `0x7f.1` into `127.0.0.1`.
 * Names are checked again when each connection resolves them (`policyLookup`).
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
    const refusal = hostRefusal(url, publicAddressRefusal);
    if (refusal)
      throw new HaetaeError("invalid_request", `url: private and special addresses are refused: ${refusal}.`);
  }
  return url.toString();
}

/**
 * Why the host of `url` is refused before any DNS: `localhost` names, or a literal address the
 * policy refuses (Node connects to a literal without calling `lookup`, so it must be checked here).
 */
export function hostRefusal(url: URL, policy: AddressPolicy): string | undefined {
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "") // `localhost.` is the same name, fully qualified
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return `loopback name (${host})`;
  return isIP(host) === 0 ? undefined : policy(host);
}

/**
 * A DNS lookup for `http.request` that resolves every address of the name, refuses the
 * connection when any of them is refused, and hands Node only the checked addresses to connect
 * to — so a name re-pointed between the check and the connection (DNS rebinding) has nothing
 * left to switch.
 */
export function policyLookup(policy: AddressPolicy): NonNullable<RequestOptions["lookup"]> {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return (callback as (e: Error) => void)(error);
      const refused = addresses.map((a) => policy(a.address)).find((r) => r !== undefined);
      if (refused !== undefined || addresses.length === 0) {
        return (callback as (e: Error) => void)(
          new AddressRefusedError(`${hostname} resolves to a refused address: ${refused ?? "none"}`),
        );
      }
      if ((options as { all?: boolean }).all) {
        return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      }
      const first = addresses[0] as LookupAddress;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}

/** The public policy's lookup (subscriber deliveries). */
export const publicOnlyLookup = policyLookup(publicAddressRefusal);

/**
 * The public policy, except for the addresses inside `entries` (addresses and CIDR ranges, the
 * `trustedProxies` syntax): for tests that serve pages from 127.0.0.1, never for production.
 */
export function policyAllowing(entries: readonly string[]): AddressPolicy {
  if (entries.length === 0) return publicAddressRefusal;
  const ranges = entries.map((entry) =>
    entry.includes("/") ? ipaddr.parseCIDR(entry) : ipaddr.parseCIDR(`${entry}/${entry.includes(":") ? 128 : 32}`),
  );
  return (address) => {
    const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
    if (ipaddr.isValid(bare)) {
      const parsed = ipaddr.process(bare);
      if (ranges.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return undefined;
    }
    return publicAddressRefusal(address);
  };
}
