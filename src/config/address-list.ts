/** @module The syntax of `trustedProxies`: comma-separated IP addresses and CIDR ranges, checked by the config schema and read by the guard. */
import ipaddr from "ipaddr.js";

/** True when `entry` is an address or a CIDR range ipaddr.js can read (the `trustedProxies` syntax). */
export function isAddressOrRange(entry: string): boolean {
  return ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry);
}

/** The comma-separated entries of a `trustedProxies` value. */
export function proxyEntries(list: string): string[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
