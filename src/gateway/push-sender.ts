/** @module One Web Push request: web-push encrypts (RFC 8291 aes128gcm) and signs (VAPID), this module posts it under the address policy. */
import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type webpushModule from "web-push";
import { AddressRefusedError, hostRefusal, publicAddressRefusal, publicOnlyLookup } from "../guard/url-policy.js";
import type { PushPayload } from "../protocol/index.js";
import type { PushSubscriptionRecord } from "../store/store.js";
import type { VapidKeys } from "./vapid-keys.js";

/**
 * How a push ended: `gone` means the push service no longer knows the subscription (404/410);
 * `transient` that it could not take the push for now (5xx, 429, a timeout or a network error)
 * and another try may succeed, after `retryAfterMs` when it said (`Retry-After`); `failed` that
 * trying again would fail alike (a refused address, another 4xx).
 */
export type PushOutcome =
  | { outcome: "sent"; status: number }
  | { outcome: "gone"; status: number }
  | { outcome: "transient"; error: string; retryAfterMs?: number }
  | { outcome: "failed"; error: string };

/** `Retry-After` (RFC 9110 §10.2.3) as milliseconds from `now`: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface PushSenderOptions {
  vapid: VapidKeys;
  timeoutMs: number;
  /** Tests and closed networks: any address and plain http (`pushPrivateEndpoints`). */
  allowPrivate: boolean;
}

let webPush: Promise<typeof webpushModule> | undefined;

/**
 * web-push and what it requires (jws, http_ece, asn1.js, https-proxy-agent) are loaded at the first
 * push, not at start: a node nobody has subscribed on never needs them, and loading them cost an
 * idle node about 2 MB of RSS and its cold start tens of milliseconds (docs/benchmarks.md).
 */
function loadWebPush(): Promise<typeof webpushModule> {
  webPush ??= import("web-push").then((loaded) => loaded.default);
  return webPush;
}

/** Seconds a push service keeps an undelivered push: a chat notification older than a day is noise. */
const PUSH_TTL_SECONDS = 24 * 3600;

/**
 * Send one push. The body is encrypted for the subscription's keys and the request signed with
 * the VAPID key by web-push (`generateRequestDetails`); the request itself goes out here, so
 * that its address is checked as it connects (a name re-pointed at a private address after the
 * subscription was made is refused) and redirects are never followed. Never throws.
 */
export async function sendPush(
  subscription: PushSubscriptionRecord,
  payload: PushPayload,
  options: PushSenderOptions,
): Promise<PushOutcome> {
  let details: ReturnType<typeof webpushModule.generateRequestDetails>;
  let url: URL;
  try {
    const webpush = await loadWebPush();
    details = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      JSON.stringify(payload),
      {
        vapidDetails: options.vapid,
        TTL: PUSH_TTL_SECONDS,
        contentEncoding: "aes128gcm",
        urgency: "high",
      },
    );
    url = new URL(details.endpoint);
    const refusal = options.allowPrivate ? undefined : hostRefusal(url, publicAddressRefusal);
    if (refusal) return { outcome: "failed", error: `refused address: ${refusal}` };
  } catch (error) {
    return { outcome: "failed", error: (error as Error).message };
  }
  const body = details.body as Buffer | null;
  return new Promise((resolve) => {
    const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {
      method: "POST",
      headers: { ...(details.headers as Record<string, string>), "Content-Length": String(body?.length ?? 0) },
      timeout: options.timeoutMs,
      ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup as RequestOptions["lookup"] }),
    });
    request.on("response", (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status === 404 || status === 410) resolve({ outcome: "gone", status });
      else if (status >= 200 && status < 300) resolve({ outcome: "sent", status });
      else if (status === 429 || status >= 500) {
        const after = retryAfterMs(response.headers["retry-after"], Date.now());
        resolve({
          outcome: "transient",
          error: `HTTP ${status}`,
          ...(after === undefined ? {} : { retryAfterMs: after }),
        });
      } else resolve({ outcome: "failed", error: `HTTP ${status}` });
    });
    request.on("timeout", () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    // A refused address is checked as the socket connects: trying again would be refused alike.
    request.on("error", (error) =>
      resolve(
        error instanceof AddressRefusedError
          ? { outcome: "failed", error: error.message }
          : { outcome: "transient", error: error.message },
      ),
    );
    request.end(body ?? undefined);
  });
}
