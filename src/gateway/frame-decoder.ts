/** @module Frame decoding: one WebSocket frame to a validated request, or the error that answers it. */
import type { RawData } from "ws";
import {
  describeIssue,
  ERRORS,
  type ErrorCode,
  REQUESTS,
  type RequestType,
  requestEnvelope,
} from "../protocol/index.js";

/** A frame that is a well-formed request: its type, its id and its params as the schema output them. */
export interface DecodedRequest {
  ok: true;
  type: RequestType;
  id: string | number;
  params: unknown;
}

/** A frame refused before it is run: the error frame's id, code and message. */
export interface FrameRefusal {
  ok: false;
  id: string | number | null;
  code: ErrorCode;
  message: string;
  /** The request type the refusal counts under in the request metrics; absent for frames that name no known request. */
  countAs?: RequestType | "unknown";
}

/**
 * Decode one frame. Frames up to four times `maxFrameBytes` reach here (ws closes the
 * connection past that) and are answered `frame_too_large`, with the id read from their first
 * bytes, so the connection survives a client's mistake.
 */
export function decodeFrame(data: RawData, isBinary: boolean, maxFrameBytes: number): DecodedRequest | FrameRefusal {
  const buffer = Buffer.isBuffer(data)
    ? data
    : Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.from(data as ArrayBuffer);
  if (buffer.length > maxFrameBytes) {
    const message = `The frame has ${buffer.length} bytes; the limit is ${maxFrameBytes}.`;
    return { ok: false, id: guessId(buffer), code: "frame_too_large", message };
  }
  if (isBinary) return { ok: false, id: null, code: "invalid_json", message: "Frames are JSON text, not binary." };
  let frame: unknown;
  try {
    frame = JSON.parse(buffer.toString("utf8"));
  } catch {
    return { ok: false, id: null, code: "invalid_json", message: ERRORS.invalid_json.message };
  }
  const envelope = requestEnvelope.safeParse(frame);
  if (!envelope.success) {
    const id = typeof frame === "object" && frame !== null ? (frame as { id?: unknown }).id : undefined;
    const safeId = typeof id === "string" || typeof id === "number" ? id : null;
    return { ok: false, id: safeId, code: "invalid_request", message: describeIssue(envelope.error) };
  }
  const { type, id } = envelope.data;
  if (!Object.hasOwn(REQUESTS, type)) {
    return { ok: false, id, code: "unknown_type", message: `There is no request type "${type}".`, countAs: "unknown" };
  }
  const requestType = type as RequestType;
  // The params schemas drop keys they do not name: `type` and `id` go without a copy of the frame.
  const params = REQUESTS[requestType].safeParse(frame);
  if (!params.success) {
    return { ok: false, id, code: "invalid_request", message: describeIssue(params.error), countAs: requestType };
  }
  return { ok: true, type: requestType, id, params: params.data };
}

/** The `id` of an oversized frame, read from its first bytes without parsing the whole frame. */
export function guessId(buffer: Buffer): string | number | null {
  const head = buffer.subarray(0, 512).toString("utf8");
  const match = /"id"\s*:\s*(?:"([^"\\]{1,128})"|(-?\d{1,15}))/.exec(head);
  if (!match) return null;
  return match[1] ?? Number(match[2]);
}
