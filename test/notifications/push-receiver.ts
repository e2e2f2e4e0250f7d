/** @module A push service for tests on 127.0.0.1: keys made as a browser makes them, and RFC 8291 aes128gcm decryption written from the RFC (not web-push's code). */
import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A push as the receiver took it: the request's headers, its plaintext and the VAPID token's claims. */
export interface ReceivedPush {
  path: string;
  headers: IncomingHttpHeaders;
  json: Record<string, unknown>;
  vapid: { aud: string; exp: number; sub: string; publicKey: string };
}

/** A browser's side of one subscription: the keys it sends in `push.subscribe`. */
export interface BrowserKeys {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  decrypt(body: Buffer): Buffer;
}

const b64u = (bytes: Buffer) => bytes.toString("base64url");
const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();

/**
 * Decrypt an `aes128gcm` body (RFC 8188 framing) for a user agent holding `uaPrivate`/`uaPublic`
 * and `auth`, deriving the key as RFC 8291 §3.3–3.4 says.
 */
export function decryptAes128gcm(body: Buffer, ua: ReturnType<typeof createECDH>, auth: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body.readUInt8(20);
  const asPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`keyid is ${idLength} bytes, not an uncompressed P-256 key`);
  if (ciphertext.length > recordSize) throw new Error("more than one record");
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ua.getPublicKey(), asPublic]);
  const ikm = hmac(hmac(auth, ecdhSecret), Buffer.concat([keyInfo, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01", "binary")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01", "binary")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end);
}

/** Check a `vapid t=…, k=…` Authorization header (RFC 8292): an ES256 JWT signed by key `k`. */
export function verifyVapid(header: string | undefined): ReceivedPush["vapid"] {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? "");
  if (!match) throw new Error(`not a vapid Authorization header: ${header}`);
  const [, token = "", k = ""] = match;
  const [head = "", claims = "", signature = ""] = token.split(".");
  const raw = Buffer.from(k, "base64url");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: b64u(raw.subarray(1, 33)), y: b64u(raw.subarray(33, 65)) },
    format: "jwk",
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature, "base64url"),
  );
  if (!ok) throw new Error("the VAPID token's signature does not verify");
  const parsed = JSON.parse(Buffer.from(claims, "base64url").toString()) as { aud: string; exp: number; sub: string };
  return { ...parsed, publicKey: k };
}

/**
 * An HTTP push service on 127.0.0.1. Each `subscription()` is a browser: its own key pair and
 * auth secret, its own endpoint path. A path set to answer 404 or 410 plays a subscription the
 * push service has forgotten.
 */
export class PushReceiver {
  readonly received: ReceivedPush[] = [];
  /** Requests the receiver could not take (a body that does not decrypt, a bad token): a test expects none. */
  readonly errors: string[] = [];
  /** Every request, whatever it was answered. */
  requests = 0;
  /** Every request: its path, the status it was answered and when (ms since the epoch). */
  readonly log: { path: string; status: number; at: number }[] = [];
  /** How long each answer waits (a slow push service). */
  delayMs = 0;
  readonly answers = new Map<string, number>();
  /** Answers to give, in order, before `answers` or 201: a push service failing for a while. */
  readonly script = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  private readonly browsers = new Map<string, BrowserKeys>();
  private readonly listeners = new Set<() => void>();
  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<PushReceiver> {
    let receiver: PushReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () =>
        setTimeout(
          () => receiver?.take(req.url ?? "", req.headers, Buffer.concat(chunks), res),
          receiver?.delayMs ?? 0,
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver = new PushReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return receiver;
  }

  /** A new browser subscription (as `PushManager.subscribe` makes one). */
  subscription(): BrowserKeys {
    const ua = createECDH("prime256v1");
    ua.generateKeys();
    const auth = randomBytes(16);
    const path = `/push/${b64u(randomBytes(9))}`;
    const browser: BrowserKeys = {
      endpoint: `${this.base}${path}`,
      keys: { p256dh: b64u(ua.getPublicKey()), auth: b64u(auth) },
      decrypt: (body) => decryptAes128gcm(body, ua, auth),
    };
    this.browsers.set(path, browser);
    return browser;
  }

  /** The pushes that reached this endpoint. */
  to(endpoint: string): ReceivedPush[] {
    const path = new URL(endpoint).pathname;
    return this.received.filter((p) => p.path === path);
  }

  /** Resolve once `count` pushes reached `endpoint`. */
  async waitFor(endpoint: string, count: number, timeoutMs = 5000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.to(endpoint).length < count) {
      if (Date.now() > deadline) throw new Error(`${this.to(endpoint).length} of ${count} pushes arrived`);
      await new Promise<void>((resolve) => {
        this.listeners.add(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.to(endpoint);
  }

  /** Resolve once `count` requests (whatever their answer) reached `path`. */
  async waitForRequests(path: string, count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.log.filter((entry) => entry.path === path).length < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} requests reached ${path}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private take(path: string, headers: IncomingHttpHeaders, body: Buffer, res: import("node:http").ServerResponse) {
    const scripted = this.script.get(path)?.shift();
    const status = scripted?.status ?? this.answers.get(path) ?? 201;
    this.requests++;
    this.log.push({ path, status, at: Date.now() });
    try {
      const browser = this.browsers.get(path);
      if (!browser) throw new Error(`no subscription at ${path}`);
      if (status === 201) {
        const json = JSON.parse(browser.decrypt(body).toString("utf8")) as Record<string, unknown>;
        this.received.push({ path, headers, json, vapid: verifyVapid(headers.authorization) });
      }
      res.writeHead(status, scripted?.headers ?? {}).end();
    } catch (error) {
      this.errors.push((error as Error).message);
      res.writeHead(400).end((error as Error).message);
    }
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }
}
