/** @module Admission decisions alone: each refusal an upgrade can meet before its token is read, in order, and the verdict that lets it in. */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { ClientLimits } from "../guard/client-limits.js";
import { CLOSE_CODES } from "../protocol/index.js";
import { type AdmissionConfig, WsAdmission } from "./ws-admission.js";

const config: AdmissionConfig = {
  connectionsPerSecond: 2,
  connectionBurst: 2,
  connectionRetryMaxMs: 10_000,
  connectionMaxQueuedReads: 50,
  publicUrl: "",
  trustedProxies: "",
};

const limits = (ipConnectionBurst = 100) =>
  new ClientLimits({
    userRequestsPerSecond: 100,
    userRequestBurst: 100,
    userSendsPerSecond: 100,
    userSendBurst: 100,
    ipRequestsPerSecond: 100,
    ipRequestBurst: 100,
    ipConnectionsPerSecond: 1,
    ipConnectionBurst,
  });

function upgrade(address = "10.0.0.1", origin?: string): IncomingMessage {
  const headers: Record<string, string> = { host: "chat.example" };
  if (origin) headers.origin = origin;
  return { headers, url: "/api/v1/ws", socket: { remoteAddress: address } } as unknown as IncomingMessage;
}

function admissionWith(state: { level?: number; queuedReads?: number; ipConnectionBurst?: number } = {}) {
  const ctx = { load: { level: state.level ?? 0 }, store: { queuedReads: state.queuedReads ?? 0 } };
  return new WsAdmission(ctx as never, config, limits(state.ipConnectionBurst));
}

describe("WsAdmission.admit", () => {
  it("lets an upgrade in with its client address, until the node's admission rate is spent", () => {
    const admission = admissionWith();
    expect(admission.admit(upgrade(), true)).toEqual({ admitted: true, address: "10.0.0.1" });
    expect(admission.admit(upgrade("10.0.0.2"), true)).toMatchObject({ admitted: true });
    const third = admission.admit(upgrade("10.0.0.3"), true);
    expect(third).toMatchObject({
      admitted: false,
      reason: "admission_rate",
      refusal: { as: "close", closeCode: CLOSE_CODES.tryAgainLater, code: "overloaded" },
    });
    // Refused together, told different slots: they come back one admission slot apart.
    const fourth = admission.admit(upgrade("10.0.0.4"), true);
    const wait = (v: typeof third) => (!v.admitted && v.refusal.as === "close" ? (v.refusal.retryAfterMs ?? 0) : 0);
    expect(wait(fourth)).toBeGreaterThan(wait(third));
  });

  it("refuses a node that is shutting down, and another site's page, with an HTTP status", () => {
    expect(admissionWith().admit(upgrade(), false)).toEqual({
      admitted: false,
      refusal: { as: "status", status: 503, code: "unavailable", message: "The server is shutting down." },
      reason: undefined,
    });
    expect(admissionWith().admit(upgrade("10.0.0.1", "https://evil.example"), true)).toMatchObject({
      admitted: false,
      reason: "origin",
      refusal: { as: "status", status: 403, code: "origin_not_allowed" },
    });
    expect(admissionWith().admit(upgrade("10.0.0.1", "http://chat.example"), true)).toMatchObject({ admitted: true });
  });

  it("refuses at level 4, then by address, then while the store's reads queue, each with close 4002", () => {
    expect(admissionWith({ level: 4 }).admit(upgrade(), true)).toMatchObject({
      reason: "degraded",
      refusal: { code: "overloaded", retryAfterMs: 2000 },
    });
    const byAddress = admissionWith({ ipConnectionBurst: 1 });
    byAddress.admit(upgrade(), true);
    expect(byAddress.admit(upgrade(), true)).toMatchObject({
      reason: "address_rate",
      refusal: { code: "rate_limited", closeCode: CLOSE_CODES.tryAgainLater },
    });
    expect(byAddress.admit(upgrade("10.0.0.9"), true)).toMatchObject({ admitted: true });
    expect(admissionWith({ queuedReads: 50 }).admit(upgrade(), true)).toMatchObject({
      reason: "store_busy",
      refusal: { code: "overloaded" },
    });
  });
});

describe("WsAdmission.ticketRefusal", () => {
  it("refuses tickets when a connection would be refused by load, and not by rate", () => {
    expect(admissionWith().ticketRefusal(true)).toBeNull();
    expect(admissionWith().ticketRefusal(false)).toMatchObject({ code: "unavailable", retryAfterMs: 500 });
    expect(admissionWith({ level: 4 }).ticketRefusal(true)).toMatchObject({ code: "overloaded", retryAfterMs: 2000 });
    expect(admissionWith({ queuedReads: 99 }).ticketRefusal(true)).toMatchObject({ code: "overloaded" });
    const spent = admissionWith();
    for (let i = 0; i < 5; i++) spent.admit(upgrade(), true);
    expect(spent.ticketRefusal(true)).toBeNull();
  });
});
