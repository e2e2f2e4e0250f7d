/** @module The client address a request is limited by: X-Forwarded-For walked from the right through trusted hops only. */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isAddressOrRange } from "../config/address-list.js";
import { addressLimitKey, TrustedProxies } from "./client-address.js";

function request(peer: string, forwardedFor?: string | string[]): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor };
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe("TrustedProxies.clientAddress", () => {
  const proxies = new TrustedProxies("10.0.0.0/8, 192.168.1.1, fd00::/8");
  it.each([
    ["an untrusted peer's header is ignored", "203.0.113.9", "1.2.3.4", "203.0.113.9"],
    ["a trusted peer names the client", "10.1.2.3", "198.51.100.7", "198.51.100.7"],
    ["what the client wrote left of it is not read", "10.1.2.3", "6.6.6.6, 198.51.100.7", "198.51.100.7"],
    [
      "a chain of trusted proxies is walked",
      "10.1.2.3",
      "6.6.6.6, 198.51.100.7, 192.168.1.1, 10.9.9.9",
      "198.51.100.7",
    ],
    ["headers given twice are one list", "10.1.2.3", ["6.6.6.6", "198.51.100.7, 10.2.2.2"], "198.51.100.7"],
    ["a trusted peer without the header is the client", "10.1.2.3", undefined, "10.1.2.3"],
    ["garbage ends the walk at the proxy that passed it", "10.1.2.3", "198.51.100.7, not-an-ip", "10.1.2.3"],
    ["IPv4-mapped IPv6 peers are their IPv4", "::ffff:10.1.2.3", "198.51.100.7", "198.51.100.7"],
    ["IPv6 proxies", "fd12::1", "2001:db8::5", "2001:db8::5"],
    ["an IPv6 peer outside the range", "2001:db8::1", "198.51.100.7", "2001:db8::1"],
  ])("%s", (_what, peer, header, expected) => {
    expect(proxies.clientAddress(request(peer, header))).toBe(expected);
  });

  it("believes nothing by default", () => {
    expect(new TrustedProxies("").clientAddress(request("127.0.0.1", "1.2.3.4"))).toBe("127.0.0.1");
  });

  it("checks the setting's syntax", () => {
    expect(["10.0.0.0/8", "::1", "2001:db8::/32", "127.0.0.1"].every(isAddressOrRange)).toBe(true);
    expect(["10.0.0.0/33", "proxy.local", "10.0.0.0/8/8", ""].some(isAddressOrRange)).toBe(false);
  });
});

describe("addressLimitKey", () => {
  it("keys IPv4 by the address and IPv6 by its /64", () => {
    expect(addressLimitKey("198.51.100.7")).toBe("198.51.100.7");
    expect(addressLimitKey("2001:db8:1:2:aaaa::1")).toBe(addressLimitKey("2001:db8:1:2:bbbb::2"));
    expect(addressLimitKey("2001:db8:1:2::1")).not.toBe(addressLimitKey("2001:db8:1:3::1"));
  });
});
