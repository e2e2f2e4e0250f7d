/**
 * @module `npm run bench:files`: Haetae's uploads and downloads against a bare Node peer
 * (bench/peers/file-peer.ts) measured in the same run, each server its own child process.
 * Figures: a large upload's and download's throughput and their ratio to the peer; the server's
 * RSS growth during concurrent large uploads; the latency of a 12 MP JPEG upload (clean-up and
 * thumbnail included) and of its thumbnail step alone; a send carrying 10 photos against a text send. `--size-mib`,
 * `--concurrent`, `--each-mib`, `--photos` and `--sends` shrink it.
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import sharp from "sharp";
import WebSocket from "ws";
import { stripJpegMetadata } from "../src/chat/jpeg-metadata.js";
import { makeThumbnail } from "../src/chat/thumbnail.js";
import { freePort, startChild, startServe } from "../test/child-server.js";
import { UNLIMITED_SEND_FLAGS } from "./bench-flags.js";
import { rssOf, sleep } from "./proc-stats.js";

const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    concurrent: { type: "string", default: "20" },
    "each-mib": { type: "string", default: "100" },
    photos: { type: "string", default: "20" },
    sends: { type: "string", default: "300" },
  },
});
const MIB = 1024 * 1024;
const sizeMib = Number(values["size-mib"]);
const concurrent = Number(values.concurrent);
const eachMib = Number(values["each-mib"]);
const photoCount = Number(values.photos);
const sends = Number(values.sends);

/** A source of `bytes` bytes that costs the client nothing: one 1 MiB chunk sent again and again. */
function source(bytes: number): Readable {
  const chunk = Buffer.alloc(MIB, 0x5a);
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      this.push(piece);
    },
  });
}

/** POST a body and resolve with the status, the JSON answer and the milliseconds it took. */
function post(
  url: string,
  body: Readable,
  length: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": length, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString() || "{}"),
          ms: performance.now() - started,
        }),
      );
    });
    req.on("error", reject);
    pipeline(body, req).catch(reject);
  });
}

/** GET a URL into nothing; resolves with the bytes read and the milliseconds it took. */
function drain(url: string, headers: Record<string, string> = {}): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let bytes = 0;
      pipeline(
        res,
        new Writable({
          write(chunk: Buffer, _e, done) {
            bytes += chunk.length;
            done();
          },
        }),
      ).then(() => resolve({ bytes, ms: performance.now() - started }), reject);
    })
      .on("error", reject)
      .end();
  });
}

const mibPerS = (bytes: number, ms: number) => bytes / MIB / (ms / 1000);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "haetae-bench-files-"));
  const [haetaePort, peerPort] = [await freePort(), await freePort()];
  const peerDir = join(dir, "peer");
  mkdirSync(peerDir);
  const haetae = await startServe({
    port: haetaePort,
    dataDir: join(dir, "haetae"),
    // The per-user and per-connection request limits are not what is measured.
    flags: [
      "--scrypt-log-n",
      "10",
      "--probe-interval-ms",
      "0",
      "--uploads-per-minute",
      "100000",
      ...UNLIMITED_SEND_FLAGS,
    ],
  });
  const peer = await startChild({
    name: "file peer",
    args: ["--import", "tsx", "bench/peers/file-peer.ts", String(peerPort), peerDir],
    ready: { line: "listening on" },
  });
  try {
    const reg = await fetch(`${haetae.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "benchfiles", password: "correct horse battery" }),
    });
    const { token } = (await reg.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };
    const size = sizeMib * MIB;

    // 1. One large upload, then its download, Haetae and the peer alternately.
    const up = await post(`${haetae.url}/api/v1/files`, source(size), size, { ...auth, "x-file-name": "big.bin" });
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(up.json)}`);
    const peerUp = await post(`http://127.0.0.1:${peerPort}/upload`, source(size), size);
    const file = up.json.file as { url: string };
    const down = await drain(`${haetae.url}${file.url}`, auth);
    const peerDown = await drain(`http://127.0.0.1:${peerPort}/file/${peerUp.json.name}`);
    console.log(
      `upload ${sizeMib} MiB: haetae ${mibPerS(size, up.ms).toFixed(0)} MiB/s, peer ${mibPerS(size, peerUp.ms).toFixed(0)} MiB/s, ratio ${(peerUp.ms / up.ms).toFixed(2)}`,
    );
    console.log(
      `download ${sizeMib} MiB: haetae ${mibPerS(down.bytes, down.ms).toFixed(0)} MiB/s, peer ${mibPerS(peerDown.bytes, peerDown.ms).toFixed(0)} MiB/s, ratio ${(peerDown.ms / down.ms).toFixed(2)}`,
    );

    // 2. Concurrent large uploads: the server's RSS, sampled every 50 ms.
    for (const [name, pid, url, headers] of [
      ["haetae", haetae.pid, `${haetae.url}/api/v1/files`, auth],
      ["peer", peer.pid, `http://127.0.0.1:${peerPort}/upload`, {}],
    ] as const) {
      const base = rssOf(pid);
      let peak = base;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, rssOf(pid));
          await sleep(50);
        }
      })();
      const started = performance.now();
      const each = eachMib * MIB;
      const answers = await Promise.all(
        Array.from({ length: concurrent }, (_, i) =>
          // Each body differs in its last byte: distinct files, no deduplication.
          post(url, concat(source(each - 1), Buffer.from([i])), each, { ...headers, "x-file-name": `c-${i}.bin` }),
        ),
      );
      sampling = false;
      await sampler;
      const failed = answers.filter((a) => a.status !== 201).length;
      console.log(
        `${concurrent} × ${eachMib} MiB concurrent uploads, ${name}: RSS ${(base / MIB).toFixed(0)} → peak ${(peak / MIB).toFixed(0)} MiB (+${((peak - base) / MIB).toFixed(0)}), ${mibPerS(concurrent * each, performance.now() - started).toFixed(0)} MiB/s, ${failed} failed`,
      );
    }

    // 3. 12 MP JPEG photos: upload latency with orientation, metadata strip and thumbnail.
    const latencies: number[] = [];
    for (let i = 0; i < photoCount; i++) {
      const photo = await sharp({
        create: {
          width: 4000,
          height: 3000,
          channels: 3,
          background: "#888",
          noise: { type: "gaussian", mean: 128 + i, sigma: 40 },
        },
      })
        .jpeg({ quality: 85 })
        .toBuffer();
      const path = join(dir, "photo.jpg");
      writeFileSync(path, photo);
      const answer = await post(`${haetae.url}/api/v1/files`, createReadStream(path), photo.length, {
        ...auth,
        "x-file-name": `photo-${i}.jpg`,
      });
      if (answer.status !== 201) throw new Error(`photo: ${answer.status} ${JSON.stringify(answer.json)}`);
      latencies.push(answer.ms);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `12 MP JPEG upload (clean-up + thumbnail), ${photoCount} photos: p50 ${pct(latencies, 0.5).toFixed(0)} ms, p95 ${pct(latencies, 0.95).toFixed(0)} ms`,
    );
    // 3b. The thumbnail step alone, as the upload runs it on an upright 12 MP JPEG (its metadata
    // stripped first, then the thumbnail of those bytes), in this process, one at a time.
    const thumbs: number[] = [];
    for (let i = 0; i < photoCount; i++) {
      const photo = await sharp({
        create: {
          width: 4000,
          height: 3000,
          channels: 3,
          background: "#888",
          noise: { type: "gaussian", mean: 100 + i, sigma: 40 },
        },
      })
        .jpeg({ quality: 85 })
        .toBuffer();
      const stripped = stripJpegMetadata(photo) ?? photo;
      const started = performance.now();
      await makeThumbnail(stripped, 100_000_000);
      thumbs.push(performance.now() - started);
    }
    thumbs.sort((a, b) => a - b);
    console.log(
      `12 MP JPEG thumbnail step alone, ${photoCount} photos: p50 ${pct(thumbs, 0.5).toFixed(0)} ms, p95 ${pct(thumbs, 0.95).toFixed(0)} ms (target < 300 ms: ${pct(thumbs, 0.95) < 300 ? "met" : "missed"}); ${((pct(thumbs, 0.95) / pct(latencies, 0.95)) * 100).toFixed(0)}% of the end-to-end upload p95`,
    );

    // 4. A send with 10 photos against a text send, one at a time over one socket, interleaved.
    const small = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#48c" } })
      .jpeg()
      .toBuffer();
    const photoIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const path = join(dir, "small.jpg");
      writeFileSync(path, Buffer.concat([small, Buffer.from([i])]));
      const answer = await post(`${haetae.url}/api/v1/files`, createReadStream(path), small.length + 1, {
        ...auth,
        "x-file-name": `s-${i}.jpg`,
      });
      photoIds.push((answer.json.file as { id: string }).id);
    }
    const other = await fetch(`${haetae.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "benchfiles2", password: "correct horse battery" }),
    });
    const { user } = (await other.json()) as { user: { id: string } };
    const ws = new WebSocket(haetae.wsUrl, { headers: auth });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    let nextId = 0;
    const waiting = new Map<number, (frame: Record<string, unknown>) => void>();
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      if (typeof frame.id === "number") waiting.get(frame.id)?.(frame);
    });
    const call = (type: string, params: Record<string, unknown>) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const id = ++nextId;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ type, id, ...params }));
      });
    const created = await call("conversation.create", { kind: "direct", memberIds: [user.id] });
    const conversationId = (created.conversation as { id: string }).id;
    const text: number[] = [];
    const withPhotos: number[] = [];
    for (let i = 0; i < sends; i++) {
      for (const [list, extra] of [
        [text, {}],
        [withPhotos, { fileIds: photoIds }],
      ] as const) {
        const started = performance.now();
        const reply = await call("message.send", {
          conversationId,
          clientMsgId: `b-${i}-${list.length}-${list === text}`,
          text: "hi",
          ...extra,
        });
        if (reply.type !== "ok") throw new Error(`send: ${JSON.stringify(reply)}`);
        list.push(performance.now() - started);
      }
    }
    ws.close();
    text.sort((x, y) => x - y);
    withPhotos.sort((x, y) => x - y);
    console.log(
      `send, ${sends} each: text p50 ${pct(text, 0.5).toFixed(1)} ms p99 ${pct(text, 0.99).toFixed(1)} ms; 10 photos p50 ${pct(withPhotos, 0.5).toFixed(1)} ms p99 ${pct(withPhotos, 0.99).toFixed(1)} ms; ratio at p99 ${(pct(withPhotos, 0.99) / pct(text, 0.99)).toFixed(2)}`,
    );
  } finally {
    await haetae.stop();
    await peer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A stream of `head` then `tail`. */
function concat(head: Readable, tail: Buffer): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of head) yield chunk as Buffer;
      yield tail;
    })(),
  );
}

await main();
