/** @module Request bodies: read at most a limit of bytes, declared as JSON, parsed into a value or a catalogue error. */
import type { IncomingMessage } from "node:http";
import { HaetaeError } from "../protocol/index.js";

/**
 * Throw `unsupported_media_type` unless the body is declared `application/json`. A cross-site
 * form or `fetch` without a preflight can send only `text/plain`, form-encoded or multipart
 * bodies; reading those as JSON let another site register or log in through a visitor's browser.
 */
export function checkJsonBody(req: IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HaetaeError("unsupported_media_type", "The body must be sent as Content-Type: application/json.");
  }
}

/**
 * Read the whole body, refusing it with `frame_too_large` (413) as soon as it passes `limit`
 * bytes. A client that hangs up before its body is complete gets `invalid_request` (nobody reads
 * it): Node's "aborted" error is the client's doing, and answered as unexpected it logged a stack
 * trace per dropped upload.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new HaetaeError("frame_too_large", `The body is larger than ${limit} bytes.`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof HaetaeError || !req.destroyed) throw error;
    throw new HaetaeError("invalid_request", "The client closed the connection before its body was complete.");
  }
  return Buffer.concat(chunks);
}

export interface ReadJsonOptions {
  /** Read the body whatever its Content-Type (default: `application/json` is required, see `checkJsonBody`). */
  anyContentType?: boolean;
  /** The value an empty body stands for; without it an empty body is `invalid_json`. */
  whenEmpty?: unknown;
}

/** Read a JSON body of at most `limit` bytes: `unsupported_media_type`, `frame_too_large` or `invalid_json` otherwise. */
export async function readJson(req: IncomingMessage, limit: number, options: ReadJsonOptions = {}): Promise<unknown> {
  if (!options.anyContentType) checkJsonBody(req);
  const body = await readBody(req, limit);
  if (body.length === 0 && "whenEmpty" in options) return options.whenEmpty;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HaetaeError("invalid_json");
  }
}
