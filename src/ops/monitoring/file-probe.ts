/** @module The file probes: a canary uploads a small file through `POST /api/v1/files` and reads it back, timing both, as the `upload` and `download` SLIs. */
import { createHash, randomBytes } from "node:crypto";
import { ProbeError } from "./probe-socket.js";

/** Bytes the upload probe sends: small enough to cost nothing, random so every run writes a new blob. */
export const PROBE_FILE_BYTES = 1024;

/** Records one file probe's outcome (the runner's `record`). */
export type FileProbeRecord = (probe: "upload" | "download", ok: boolean, latencyMs?: number, error?: string) => void;

/**
 * Upload `PROBE_FILE_BYTES` random bytes as the canary and read them back. A new upload is
 * fetched and must come back byte for byte; when the upload fails, the file of an earlier run
 * (`previous`, the file id) is fetched instead, so a store that still serves what it holds but
 * takes nothing new shows as an upload failure alone. Returns the id to fetch next time. Never
 * throws: every failure is a recorded bad event. The probe files are never attached to a message
 * and go with the unattached-file sweep (`unattachedFileTtlMs`).
 */
export async function probeFiles(
  baseUrl: string,
  token: string,
  timeoutMs: number,
  previous: string | undefined,
  record: FileProbeRecord,
): Promise<{ fileId: string | undefined; unauthorized: boolean }> {
  const body = randomBytes(PROBE_FILE_BYTES);
  let fileId = previous;
  let expected: string | undefined;
  let unauthorized = false;
  const started = performance.now();
  try {
    const reply = await call(`${baseUrl}/api/v1/files`, timeoutMs, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/octet-stream",
        "content-length": String(body.length),
        "x-file-name": "probe.bin",
      },
      body,
    });
    const { file } = (await reply.json()) as { file: { id: string; sha256: string } };
    record("upload", true, performance.now() - started);
    fileId = file.id;
    expected = createHash("sha256").update(body).digest("hex");
  } catch (error) {
    unauthorized ||= codeOf(error) === "unauthorized";
    record("upload", false, performance.now() - started, codeOf(error));
  }
  if (fileId === undefined) return { fileId, unauthorized };
  const read = performance.now();
  try {
    const reply = await call(`${baseUrl}/api/v1/files/${fileId}`, timeoutMs, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = Buffer.from(await reply.arrayBuffer());
    if (expected !== undefined && createHash("sha256").update(bytes).digest("hex") !== expected) {
      record("download", false, performance.now() - read, "bytes differ");
    } else {
      record("download", true, performance.now() - read);
    }
  } catch (error) {
    unauthorized ||= codeOf(error) === "unauthorized";
    record("download", false, performance.now() - read, codeOf(error));
    // An earlier run's file that is gone (swept) is not fetched again.
    if (codeOf(error) === "not_found") return { fileId: undefined, unauthorized };
  }
  return { fileId, unauthorized };
}

/** One request with a deadline; a non-2xx answer rejects with its error code. */
async function call(url: string, timeoutMs: number, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as Error).name;
    throw new ProbeError(name === "TimeoutError" ? "timeout" : "connect_failed", (error as Error).message);
  }
  if (response.ok) return response;
  let code: unknown;
  try {
    code = ((await response.json()) as { error?: { code?: unknown } }).error?.code;
  } catch {
    code = undefined;
  }
  throw new ProbeError(typeof code === "string" ? code : `http_${response.status}`, `${url}: ${response.status}`);
}

function codeOf(error: unknown): string {
  if (error instanceof ProbeError) return error.code;
  return (error as Error)?.name === "TimeoutError" ? "timeout" : "error";
}
