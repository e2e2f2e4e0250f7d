/** @module The outbound address policy, form by form: every IPv4-embedded IPv6 form, every special range, and the URLs that spell them. */
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, hostRefusal, policyLookup, publicAddressRefusal } from "./url-policy.js";

/** [address, what the refusal must name] — each one must be refused. */
const REFUSED: [string, RegExp][] = [
  // IPv4 special ranges
  ["127.0.0.1", /loopback/],
  ["127.255.255.254", /loopback/],
  ["0.0.0.0", /unspecified/],
  ["0.1.2.3", /unspecified/],
  ["10.1.2.3", /private/],
  ["172.16.0.1", /private/],
  ["172.31.255.255", /private/],
  ["192.168.0.10", /private/],
  ["169.254.169.254", /linkLocal/],
  ["100.64.0.1", /carrierGradeNat/],
  ["192.0.0.1", /reserved/],
  ["192.0.0.8", /reserved/],
  ["192.0.0.170", /reserved/],
  ["192.0.2.1", /reserved/],
  ["198.18.0.1", /reserved/],
  ["198.51.100.1", /reserved/],
  ["203.0.113.1", /reserved/],
  ["192.88.99.1", /reserved/],
  ["240.0.0.1", /reserved/],
  ["224.0.0.1", /multicast/],
  ["239.255.255.250", /multicast/],
  ["255.255.255.255", /broadcast/],
  // IPv6 special ranges
  ["::1", /loopback/],
  ["::", /unspecified/],
  ["fe80::1", /linkLocal/],
  ["fe80::1%eth0", /linkLocal/],
  ["fc00::1", /uniqueLocal/],
  ["fd12:3456::1", /uniqueLocal/],
  ["fec0::1", /deprecatedSiteLocal/],
  ["ff02::1", /multicast/],
  ["ff05::1:3", /multicast/],
  ["100::1", /discard/],
  ["2001:db8::1", /reserved/],
  ["3fff::1", /reserved/],
  ["2001:2::1", /benchmarking/],
  ["2001:10::1", /Orchid/i],
  ["2001:20::1", /orchid2/],
  ["5f00::1", /segmentRouting/],
  ["4000::1", /reserved/],
  // IPv4 inside IPv6: mapped, compatible, translated, NAT64, local-use NAT64, 6to4, Teredo
  ["::ffff:127.0.0.1", /loopback \(127\.0\.0\.1\) inside IPv4-mapped/],
  ["::ffff:7f00:1", /loopback \(127\.0\.0\.1\) inside IPv4-mapped/],
  ["::ffff:10.0.0.1", /private .* inside IPv4-mapped/],
  ["::ffff:169.254.169.254", /linkLocal .* inside IPv4-mapped/],
  ["::ffff:192.0.0.1", /reserved .* inside IPv4-mapped/],
  ["::7f00:1", /IPv4-compatible/],
  ["::127.0.0.1", /IPv4-compatible/],
  ["::8.8.8.8", /IPv4-compatible/],
  ["::ffff:0:7f00:1", /IPv4-translated/],
  ["::ffff:0:127.0.0.1", /IPv4-translated/],
  ["::ffff:0:8.8.8.8", /IPv4-translated/],
  ["64:ff9b::7f00:1", /loopback \(127\.0\.0\.1\) inside NAT64/],
  ["64:ff9b::127.0.0.1", /loopback .* inside NAT64/],
  ["64:ff9b::a9fe:a9fe", /linkLocal \(169\.254\.169\.254\) inside NAT64/],
  ["64:ff9b::c000:1", /reserved \(192\.0\.0\.1\) inside NAT64/],
  ["64:ff9b:1::7f00:1", /local-use NAT64/],
  ["64:ff9b:1:ffff::808:808", /local-use NAT64/],
  ["2002:7f00:1::", /loopback \(127\.0\.0\.1\) inside 6to4/],
  ["2002:7f00:1::1", /loopback .* inside 6to4/],
  ["2002:a00:1::", /private \(10\.0\.0\.1\) inside 6to4/],
  ["2002:c0a8:1::", /private \(192\.168\.0\.1\) inside 6to4/],
  ["2002:a9fe:a9fe::", /linkLocal .* inside 6to4/],
  ["2001::1", /teredo/],
  ["2001:0:4136:e378:8000:63bf:80ff:fffe", /teredo/], // client 127.0.0.1, obfuscated
  // Not addresses at all
  ["localhost", /not an address/],
  ["", /not an address/],
  ["1.2.3", /not an address/],
];

/** Public unicast, including embedded forms whose IPv4 is public: these must pass. */
const ALLOWED = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.216.34",
  "172.32.0.1",
  "100.128.0.1",
  "192.0.1.1",
  "2606:4700::1111",
  "2a00:1450:4001:80b::200e",
  "::ffff:8.8.8.8",
  "64:ff9b::808:808",
  "2002:808:808::1",
];

describe("publicAddressRefusal", () => {
  it.each(REFUSED)("refuses %s", (address, reason) => {
    expect(publicAddressRefusal(address)).toMatch(reason);
  });

  it.each(ALLOWED)("allows %s", (address) => {
    expect(publicAddressRefusal(address)).toBeUndefined();
  });
});

describe("checkWebhookUrl", () => {
  /** Each URL spells a refused address; the WHATWG parser's rewrites (decimal, hex, short forms) included. */
  const URLS = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://localhost:8080/",
    "http://api.localhost/",
    "http://localhost./",
    "http://LOCALHOST/",
    "http://[::1]/",
    "http://[::7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:0:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b:1::7f00:1]/",
    "http://[2002:7f00:1::]/",
    "http://[2001::1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://192.0.0.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/",
    "http://0/",
  ];

  it.each(URLS)("refuses %s", (url) => {
    expect(() => checkWebhookUrl(url, false)).toThrow(/refused/);
  });

  it("allows every one of them with the explicit opt-out, and public URLs always", () => {
    for (const url of URLS) expect(() => checkWebhookUrl(url, true)).not.toThrow();
    expect(checkWebhookUrl("https://hooks.example.com/a?b=c", false)).toBe("https://hooks.example.com/a?b=c");
    expect(checkWebhookUrl("http://[64:ff9b::808:808]/", false)).toBe("http://[64:ff9b::808:808]/");
  });

  it("leaves names to the lookup, which checks every answer", async () => {
    expect(hostRefusal(new URL("http://example.com/"), publicAddressRefusal)).toBeUndefined();
    const lookup = policyLookup(publicAddressRefusal);
    const failure = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup("localhost", { family: 0 }, (error: NodeJS.ErrnoException | null) => resolve(error)),
    );
    expect(failure?.code).toBe("ERR_ADDRESS_REFUSED");
    expect(failure?.message).toMatch(/loopback/);
    // A policy that allows everything hands back exactly what it checked.
    const open = policyLookup(() => undefined);
    const answer = await new Promise<string>((resolve, reject) =>
      open("localhost", { family: 4 }, (error, address) => (error ? reject(error) : resolve(address as string))),
    );
    expect(answer).toBe("127.0.0.1");
  });
});
