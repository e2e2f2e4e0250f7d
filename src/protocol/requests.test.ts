/** @module The request schemas by type: every type listed, each schema built when first read and kept. */
import { describe, expect, it } from "vitest";
import { REQUESTS, type RequestType } from "./requests.js";

describe("REQUESTS", () => {
  it("lists every request type, builds a type's schema when it is first read, and keeps that one", () => {
    const types = Object.keys(REQUESTS) as RequestType[];
    expect(types).toContain("message.send");
    expect(types).toContain("notify.mute");
    // Not built yet: a getter stands in its place until something reads it.
    const unread = types.find((type) => Object.getOwnPropertyDescriptor(REQUESTS, type)?.get !== undefined);
    expect(unread).toBeDefined();
    const type = unread as RequestType;
    const first = REQUESTS[type];
    expect(Object.getOwnPropertyDescriptor(REQUESTS, type)?.value).toBe(first);
    expect(REQUESTS[type]).toBe(first);
    expect(REQUESTS["message.send"].safeParse({ conversationId: "c", clientMsgId: "m", text: "hi" }).success).toBe(
      true,
    );
    expect(REQUESTS.ping.safeParse({}).success).toBe(true);
    expect(Object.hasOwn(REQUESTS, "no.such.type")).toBe(false);
  });
});
