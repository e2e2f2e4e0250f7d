/** @module What the fuzzer expects of every reply: the code each frame must get, catalogue errors, and nothing across G7 lines. */
import { ERRORS, REQUESTS, requestEnvelope } from "../../src/protocol/index.js";

/**
 * What the attacker must never read. `never` holds values it was never given (the secret marker
 * in the victim's messages, the victim's token, the id of a conversation it never heard of);
 * `guessed` holds values it was handed to guess with (the victim's private group id, the victim's
 * device id), which an error may echo back but nothing else may carry.
 */
export interface Secrets {
  never: string[];
  guessed: string[];
}

/** The first secret a frame or body carries that it may not, or undefined. */
export function leakIn(text: string, isError: boolean, secrets: Secrets): string | undefined {
  for (const secret of secrets.never) if (text.includes(secret)) return secret;
  if (!isError) for (const secret of secrets.guessed) if (text.includes(secret)) return secret;
  return undefined;
}

/** The code a frame must be answered with when the protocol's own schemas already refuse it, or "any". */
export type Expected = { code: keyof typeof ERRORS | "any"; id: string | number | undefined };

/**
 * Decide, from the exact bytes sent, which answer the server owes: the same checks in the same
 * order as the gateway (size, text, JSON, envelope, type, params), made with the protocol's own
 * schemas. `id` is the id the reply must carry, when the frame has one the envelope takes.
 */
export function expectedReply(bytes: Buffer, binary: boolean, maxFrameBytes: number): Expected {
  if (bytes.length > maxFrameBytes) return { code: "frame_too_large", id: undefined };
  if (binary) return { code: "invalid_json", id: undefined };
  let frame: unknown;
  try {
    frame = JSON.parse(bytes.toString("utf8"));
  } catch {
    return { code: "invalid_json", id: undefined };
  }
  const envelope = requestEnvelope.safeParse(frame);
  if (!envelope.success) return { code: "invalid_request", id: undefined };
  const { type, id } = envelope.data;
  if (!Object.hasOwn(REQUESTS, type)) return { code: "unknown_type", id };
  const params = REQUESTS[type as keyof typeof REQUESTS].safeParse(frame);
  return { code: params.success ? "any" : "invalid_request", id };
}

/** Problems with one reply frame on its own: its shape and its code. */
export function replyProblem(frame: Record<string, unknown>): string | undefined {
  if (frame.type === "ok") return undefined;
  if (frame.type !== "error") return `a reply of type ${JSON.stringify(frame.type)}`;
  if (typeof frame.code !== "string" || !Object.hasOwn(ERRORS, frame.code)) {
    return `code ${JSON.stringify(frame.code)} is not in the catalogue`;
  }
  if (frame.code === "internal") return `an internal error: ${JSON.stringify(frame.message)}`;
  if (typeof frame.message !== "string" || frame.message === "") return "an error without a message";
  return undefined;
}

/** Problems with an HTTP error body: `{error: {code, message}}`, a catalogue code, its status. */
export function httpErrorProblem(status: number, body: string): string | undefined {
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(body);
  } catch {
    return `HTTP ${status} with a body that is not JSON: ${JSON.stringify(body.slice(0, 120))}`;
  }
  const code = parsed?.error?.code;
  if (typeof code !== "string" || !Object.hasOwn(ERRORS, code)) {
    return `HTTP ${status} without a catalogue code: ${body.slice(0, 200)}`;
  }
  if (code === "internal") return `HTTP ${status} internal: ${body.slice(0, 200)}`;
  if (typeof parsed.error?.message !== "string") return `HTTP ${status} ${code} without a message`;
  const catalogued = ERRORS[code as keyof typeof ERRORS].status;
  if (catalogued !== status) return `HTTP ${status} with code ${code}, which the catalogue gives ${catalogued}`;
  return undefined;
}
