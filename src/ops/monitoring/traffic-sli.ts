/** @module Turns the outcomes of real users' requests into SLI events: which requests count, and which outcomes are the service's fault. */
import { normalizeUsername } from "../../protocol/index.js";
import type { Sli, SliRecorder } from "../sli-recorder.js";

/** The WebSocket requests that feed an indicator; every other request type is not measured. */
const SLI_OF_REQUEST: Readonly<Record<string, Sli>> = {
  "message.send": "send",
  history: "history",
  sync: "history",
};

/**
 * Outcomes that are the service's failure: a bad event. Every other error code is the
 * client's own doing (a malformed or forbidden request, a rate limit it ran into) and is not
 * counted at all, so a misbehaving client can neither burn the budget nor dilute real errors.
 * `overloaded` is bad although shedding is deliberate (G5): the user's send still failed.
 */
export const SERVER_FAULTS: ReadonlySet<string> = new Set(["internal", "unavailable", "overloaded"]);

/**
 * A login answered `invalid_credentials` is a good event: the service did its job and gave a
 * correct verdict on a wrong password.
 */
const GOOD_LOGIN_REFUSALS: ReadonlySet<string> = new Set(["invalid_credentials"]);

/**
 * The gateway and the HTTP API report each outcome here. Probe accounts are left out (the
 * probes record their own events, and their users are not real users affected by an incident).
 */
export class TrafficSli {
  private readonly canaryIds = new Set<string>();
  private readonly canaryNames = new Set<string>();

  constructor(private readonly sli: SliRecorder) {}

  /** Leave this account's traffic out of the traffic indicators (by name for logins, by id for requests). */
  exclude(username: string, userId?: string): void {
    this.canaryNames.add(normalizeUsername(username));
    if (userId !== undefined) this.canaryIds.add(userId);
  }

  /** A WebSocket request finished with `outcome` (`ok` or the error code). */
  request(type: string, userId: string, outcome: string, latencyMs: number): void {
    const sli = SLI_OF_REQUEST[type];
    if (sli === undefined || this.canaryIds.has(userId)) return;
    if (outcome === "ok") this.sli.record({ sli, ok: true, latencyMs, userId, source: "traffic" });
    else if (SERVER_FAULTS.has(outcome)) this.sli.record({ sli, ok: false, latencyMs, userId, source: "traffic" });
  }

  /**
   * A file upload (`POST /api/v1/files`, a finished tus upload) or download finished with
   * `outcome`; `userId` is undefined when the request was refused before it was known (then it
   * is the client's doing, never counted).
   */
  file(sli: "upload" | "download", userId: string | undefined, outcome: string, latencyMs: number): void {
    if (userId === undefined || this.canaryIds.has(userId)) return;
    if (outcome === "ok") this.sli.record({ sli, ok: true, latencyMs, userId, source: "traffic" });
    else if (SERVER_FAULTS.has(outcome)) this.sli.record({ sli, ok: false, latencyMs, userId, source: "traffic" });
  }

  /** An HTTP login finished with `outcome` (`ok` or the error code); the user id when it is known. */
  login(username: string, outcome: string, latencyMs: number, userId?: string): void {
    if (this.canaryNames.has(normalizeUsername(username))) return;
    const ok = outcome === "ok" || GOOD_LOGIN_REFUSALS.has(outcome);
    if (!ok && !SERVER_FAULTS.has(outcome)) return;
    this.sli.record({ sli: "login", ok, latencyMs, userId, source: "traffic" });
  }
}
