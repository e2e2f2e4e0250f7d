/**
 * @module The one way a link preview reaches another server: every address checked by the policy
 * after DNS and on every redirect, connected to exactly the checked address, within a deadline
 * and a byte cap, with no cookies nor credentials.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { type AddressPolicy, hostRefusal, policyLookup } from "../../guard/url-policy.js";

/** Sent with every preview request, so a site's operator can tell what asked. */
export const PREVIEW_USER_AGENT = "HaetaeLinkPreview/1.0 (+https://github.com/haetae; link previews)";
/** Redirects followed per fetch, each checked like the first request. */
export const MAX_REDIRECTS = 3;

export interface GuardedFetchOptions {
  policy: AddressPolicy;
  /** For the whole fetch, its redirects included. */
  timeoutMs: number;
  /** Bytes of body read at most; the rest is not downloaded. */
  maxBytes: number;
  accept: string;
}

/** What a fetch got: the final URL (after redirects), its status, type and up to `maxBytes` of its body. */
export interface FetchedBody {
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  /** The body was longer than `maxBytes` (only its start is in `body`). */
  truncated: boolean;
}

/** Why a fetch gave nothing: refused by the policy, too slow, a bad redirect, a network error. */
export class PreviewFetchError extends Error {
  override name = "PreviewFetchError";
}

function requestOnce(url: URL, options: GuardedFetchOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const refusal = hostRefusal(url, options.policy);
  if (refusal !== undefined) return Promise.reject(new PreviewFetchError(`refused address: ${refusal}`));
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: "GET",
      // No pooled socket: each request resolves (and so checks) its name again.
      agent: false,
      lookup: policyLookup(options.policy),
      signal,
      headers: {
        "user-agent": PREVIEW_USER_AGENT,
        accept: options.accept,
        "accept-encoding": "identity",
      },
    });
    req.on("response", resolve);
    req.on("error", (error: Error & { code?: string }) =>
      reject(
        error.code === "ERR_ADDRESS_REFUSED"
          ? new PreviewFetchError(`refused address: ${error.message}`)
          : new PreviewFetchError(error.name === "AbortError" ? "timed out" : error.message),
      ),
    );
    req.end();
  });
}

function readCapped(res: IncomingMessage, maxBytes: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        size = maxBytes;
        res.destroy();
        resolve({ body: Buffer.concat(chunks), truncated: true });
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on("end", () => resolve({ body: Buffer.concat(chunks), truncated: false }));
    res.on("error", (error) =>
      reject(new PreviewFetchError(error.name === "AbortError" ? "timed out" : error.message)),
    );
    res.on("close", () => {
      if (!res.complete) reject(new PreviewFetchError("the connection closed early"));
    });
  });
}

/**
 * GET `raw` under `options`: redirects are followed by hand (at most MAX_REDIRECTS, http and
 * https only, each target checked before it is asked); a non-2xx final answer is an error.
 */
export async function guardedFetch(raw: string, options: GuardedFetchOptions): Promise<FetchedBody> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = new URL(raw);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new PreviewFetchError("not http(s)");
    if (url.username || url.password) throw new PreviewFetchError("a URL with credentials");
    const res = await requestOnce(url, options, signal);
    const location = res.headers.location;
    if (res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && location) {
      res.destroy();
      if (hop >= MAX_REDIRECTS) throw new PreviewFetchError("too many redirects");
      try {
        url = new URL(location, url);
      } catch {
        throw new PreviewFetchError("a redirect to no URL");
      }
      continue;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      res.destroy();
      throw new PreviewFetchError(`answered ${status}`);
    }
    const { body, truncated } = await readCapped(res, options.maxBytes);
    return { url: url.toString(), status, contentType: String(res.headers["content-type"] ?? ""), body, truncated };
  }
}
