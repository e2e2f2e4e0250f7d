/** @module Frame decoding alone: each way a frame can be refused, and the request a good one becomes. */
import { describe, expect, it } from "vitest";
import { decodeFrame, guessId } from "./frame-decoder.js";

const text = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("decodeFrame", () => {
  it("turns a well-formed request into its type, id and params, without the envelope's keys", () => {
    const decoded = decodeFrame(text({ type: "typing", id: 7, conversationId: "c1" }), false, 1000);
    expect(decoded).toEqual({ ok: true, type: "typing", id: 7, params: { conversationId: "c1" } });
  });

  it("answers an oversized frame frame_too_large with the id from its first bytes", () => {
    const frame = text({ id: "big", type: "ping", pad: "x".repeat(2000) });
    expect(decodeFrame(frame, false, 1000)).toMatchObject({ ok: false, id: "big", code: "frame_too_large" });
  });

  it("refuses binary frames and bad JSON as invalid_json, with no id", () => {
    expect(decodeFrame(text({ type: "ping", id: 1 }), true, 1000)).toMatchObject({ id: null, code: "invalid_json" });
    expect(decodeFrame(text("{nope"), false, 1000)).toMatchObject({ id: null, code: "invalid_json" });
  });

  it("keeps a usable id of a frame without a proper envelope, and counts nothing for it", () => {
    const decoded = decodeFrame(text({ id: 3 }), false, 1000);
    expect(decoded).toMatchObject({ ok: false, id: 3, code: "invalid_request" });
    expect(decoded).not.toHaveProperty("countAs");
    expect(decodeFrame(text({ id: { x: 1 } }), false, 1000)).toMatchObject({ id: null, code: "invalid_request" });
  });

  it("counts an unknown type as 'unknown' and bad params under their request type", () => {
    expect(decodeFrame(text({ type: "nope", id: 1 }), false, 1000)).toMatchObject({
      code: "unknown_type",
      countAs: "unknown",
    });
    // `toString` is on every object's prototype: still not a request type.
    expect(decodeFrame(text({ type: "toString", id: 1 }), false, 1000)).toMatchObject({ code: "unknown_type" });
    expect(decodeFrame(text({ type: "typing", id: 2 }), false, 1000)).toMatchObject({
      id: 2,
      code: "invalid_request",
      countAs: "typing",
    });
  });
});

describe("guessId", () => {
  it("reads a string or number id near the start, and nothing else", () => {
    expect(guessId(text('{"id": "abc", "type": "ping"}'))).toBe("abc");
    expect(guessId(text('{"type":"ping","id":-12}'))).toBe(-12);
    expect(guessId(text(`{"pad":"${"x".repeat(600)}","id":1}`))).toBeNull();
  });
});
