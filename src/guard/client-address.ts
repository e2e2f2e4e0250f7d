/** @module The client address of a request: its peer, or what trusted proxies say in X-Forwarded-For; the one source of every per-address limit. */
import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
import { proxyEntries } from "../config/address-list.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address as one canonical string: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes the IPv4 it carries. */
function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(address.trim());
  } catch {
    return null;
  }
}

/**
 * One X-Forwarded-For entry as an address. Some proxies write the client's port too
 * (`1.2.3.4:5678`, `[2001:db8::1]:5678`) or bracket an IPv6 address: the address is what counts.
 */
function parseHop(entry: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const trimmed = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(trimmed);
  if (bracketed) return parse(bracketed[1] as string);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(trimmed);
  return parse(withPort ? (withPort[1] as string) : trimmed);
}

/**
 * The proxies whose X-Forwarded-For is believed (`trustedProxies`). Empty by default: a header
 * any client can write must not choose the key of the limits meant to stop that client.
 */
export class TrustedProxies {
  private readonly ranges: Range[];

  constructor(list: string) {
    this.ranges = proxyEntries(list).map((entry): Range => {
      if (ipaddr.isValidCIDR(entry)) {
        const [range, bits] = ipaddr.parseCIDR(entry);
        // A mapped IPv6 range (::ffff:10.0.0.0/104) is compared as the IPv4 range it means.
        if (range.kind() === "ipv6" && (range as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
          return [(range as ipaddr.IPv6).toIPv4Address(), bits - 96];
        }
        return [range, bits];
      }
      const address = parse(entry);
      if (!address) throw new Error(`trustedProxies: "${entry}" is not an address or a CIDR range`);
      return [address, address.kind() === "ipv4" ? 32 : 128];
    });
  }

  /** Whether a hop at this address is one of ours. */
  trusts(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    return this.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }

  /**
   * The client's address: the peer's, unless the peer is a trusted proxy; then X-Forwarded-For
   * is read from the right (each proxy appends the address it saw) for as long as the hop that
   * wrote an entry is trusted. What a client wrote itself sits left of the first untrusted hop
   * and is never read. An entry may carry a port (`parseHop`); one that is not an address ends
   * the walk at the proxy that passed it.
   */
  clientAddress(req: IncomingMessage): string {
    let current = parse(req.socket.remoteAddress ?? "");
    if (!current) return req.socket.remoteAddress ?? "unknown";
    if (this.ranges.length === 0 || !this.trusts(current)) return current.toString();
    const header = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",");
    for (let i = hops.length - 1; i >= 0 && this.trusts(current); i--) {
      const hop = parseHop(hops[i] as string);
      if (!hop) break;
      current = hop;
    }
    return current.toString();
  }
}

/**
 * The key of an address in the per-address limits: an IPv4 address itself, an IPv6 address's
 * /64. One IPv6 subscriber is usually given a whole /64, so keying by the full address would give
 * an attacker 2^64 fresh buckets.
 */
export function addressLimitKey(address: string): string {
  const parsed = parse(address);
  if (!parsed || parsed.kind() === "ipv4") return address;
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}
