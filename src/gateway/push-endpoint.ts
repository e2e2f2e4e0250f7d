/** @module Which push endpoints a browser may register: https on a public address (SSRF), unless the config allows private ones for tests. */
import { hostRefusal, publicAddressRefusal } from "../guard/url-policy.js";
import { HaetaeError } from "../protocol/index.js";

/**
 * Check a subscription's endpoint before it is kept: the server will POST to it, so a user
 * must not make it call `http://169.254.169.254/` or a service on its own network. Absolute
 * https, no credentials, and no `localhost` name or literal address the public policy refuses;
 * names are checked again as each push resolves them (`publicOnlyLookup`). `allowPrivate`
 * (`pushPrivateEndpoints`, tests only) also takes http and any address.
 */
export function checkPushEndpoint(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HaetaeError("invalid_request", "endpoint: not an absolute URL.");
  }
  const schemes = allowPrivate ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) throw new HaetaeError("invalid_request", "endpoint: must be an https:// URL.");
  if (url.username || url.password) throw new HaetaeError("invalid_request", "endpoint: must not carry credentials.");
  if (!allowPrivate) {
    const refusal = hostRefusal(url, publicAddressRefusal);
    if (refusal)
      throw new HaetaeError("invalid_request", `endpoint: private and special addresses are refused: ${refusal}.`);
  }
  return url.toString();
}
