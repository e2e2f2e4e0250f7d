/** @module The WebSocket gateway: the session loop that admits connections, opens sessions, hands their frames to dispatch and closes them. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { Bus } from "../bus/bus.js";
import type { ChatContext } from "../chat/context.js";
import type { Config } from "../config/config.js";
import { ClientLimits, type ClientLimitsConfig } from "../guard/client-limits.js";
import { SendAdmission } from "../guard/send-admission.js";
import { TokenBucket } from "../guard/token-bucket.js";
import type { Metrics } from "../ops/metrics.js";
import type { TrafficSli } from "../ops/monitoring/traffic-sli.js";
import { CLOSE_CODES, type HaetaeError } from "../protocol/index.js";
import { DeviceAttention } from "./device-attention.js";
import { FanOut } from "./fan-out.js";
import { decodeFrame } from "./frame-decoder.js";
import type { HandlerEnv } from "./handlers.js";
import { Heartbeat } from "./heartbeat.js";
import { PRESENCE_CLAIM_HEARTBEATS, PresenceRegistry } from "./presence.js";
import { PresenceAnnouncer } from "./presence-announcer.js";
import type { MissedNews } from "./push-dispatcher.js";
import { ReadPauses } from "./read-pauses.js";
import { RequestDispatch, replyError } from "./request-dispatch.js";
import { Session } from "./session.js";
import { refuseUpgrade } from "./upgrade-refusal.js";
import { authenticateUpgrade, WsAdmission } from "./ws-admission.js";

/** The config slice the gateway and its parts read. */
export type GatewayConfig = Pick<
  Config,
  | "maxFrameBytes"
  | "requestsPerSecond"
  | "requestBurst"
  | "sendQueueBytes"
  | "presenceSubscriptionLimit"
  | "heartbeatMs"
  | "connectionsPerSecond"
  | "connectionBurst"
  | "connectionRetryMaxMs"
  | "connectionMaxQueuedReads"
  | "syncShedQueuedReads"
  | "maxPendingWrites"
  | "sendQueueTargetMs"
  | "publicUrl"
  | "trustedProxies"
  | "pushHoldMs"
> &
  ClientLimitsConfig;

/**
 * Owns every session of this node and the bus subscriptions that feed them. Each job has its
 * own part: admission (`WsAdmission`), frame decoding (`decodeFrame`), dispatch
 * (`RequestDispatch`, with the request table in handlers.ts), fan-out (`FanOut`), read pauses
 * (`ReadPauses`), presence (`PresenceAnnouncer`) and the heartbeat (`Heartbeat`).
 */
export class WsGateway {
  private readonly wss: WebSocketServer;
  private readonly sessions = new FanOut();
  private readonly presence: PresenceAnnouncer;
  private readonly attention: DeviceAttention;
  private readonly dispatch: RequestDispatch;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly heartbeat: Heartbeat<WebSocket, Session>;
  private accepting = true;
  private readonly admission: WsAdmission;
  private readonly greetings = new Set<() => string[]>();
  private readonly missedListeners = new Set<(missed: MissedNews) => void>();
  private readonly readPauses: ReadPauses;

  /** True while the device has a live, visible session on any node, or had one at or after `since` (`DeviceAttention`). */
  isAttended(deviceId: string, since?: Date): boolean {
    return this.attention.isAttended(deviceId, since);
  }

  constructor(
    private readonly ctx: ChatContext,
    bus: Bus,
    private readonly config: GatewayConfig,
    private readonly metrics: Metrics,
    nodeId: string,
    /** Where request outcomes feed the service-level indicators (send, history). */
    traffic?: TrafficSli,
    /** Web Push as this node offers it (`push.*` requests); none answers them `unavailable`. */
    push: HandlerEnv["push"] = null,
  ) {
    // Frames up to four times the limit are read and answered with `frame_too_large`, so the
    // connection survives a client's mistake; past that, ws closes it (1009) before buffering more.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes * 4, perMessageDeflate: false });
    this.presence = new PresenceAnnouncer(
      new PresenceRegistry(nodeId, config.heartbeatMs * PRESENCE_CLAIM_HEARTBEATS),
      ctx,
      bus,
      this.sessions,
    );
    this.attention = new DeviceAttention(
      new PresenceRegistry(nodeId, config.heartbeatMs * 2.5),
      bus,
      () => ctx.now(),
      config.pushHoldMs,
      ctx.load,
    );
    // Shared by every connection of a user, and of an address, on this node.
    const limits = new ClientLimits(config);
    this.admission = new WsAdmission(ctx, config, limits);
    const accepting = () => this.accepting;
    this.readPauses = new ReadPauses(ctx.store, config.maxPendingWrites, metrics, accepting);
    const env: HandlerEnv = {
      ctx,
      presence: this.presence.registry,
      attention: this.attention,
      metrics,
      presenceSubscriptionLimit: config.presenceSubscriptionLimit,
      syncShedQueuedReads: config.syncShedQueuedReads,
      push,
    };
    // Sends are admitted by the wait they would have (sendQueueTargetMs), so that an accepted
    // send is answered within it whatever the offered load; 0 leaves them to the store's bound.
    const admission =
      config.sendQueueTargetMs > 0 ? new SendAdmission({ targetMs: config.sendQueueTargetMs }) : undefined;
    if (admission) metrics.sendAdmissionState = () => admission.state;
    this.dispatch = new RequestDispatch({
      env,
      config,
      metrics,
      limits,
      readPauses: this.readPauses,
      accepting,
      traffic,
      ...(admission ? { admission } : {}),
    });
    this.unsubscribe.push(
      bus.subscribe((message) => {
        this.sessions.deliver(message);
        this.attention.delivered(message);
      }),
    );
    this.unsubscribe.push(
      bus.subscribeControl((control) => {
        if (
          control.kind === "presence" ||
          control.kind === "presence.refresh" ||
          control.kind === "presence.hidden" ||
          control.kind === "contact.added"
        ) {
          this.presence.apply(control);
        } else if (control.kind === "attention" || control.kind === "attention.refresh") {
          this.attention.apply(control);
        } else if (control.kind === "attention.missed") {
          for (const listener of this.missedListeners) listener(control);
        } else this.sessions.control(control);
      }),
    );
    // Events published while this node was cut from the bus are lost to its sessions: ask every
    // client to sync, so nothing waits for the next message to reveal the gap.
    this.unsubscribe.push(
      bus.onStatus((status) => {
        if (status !== "up") return;
        const frame = JSON.stringify({ type: "resync" });
        for (const session of this.sessions.all()) session.send(frame);
        void this.revalidateSessions();
      }),
    );
    this.heartbeat = new Heartbeat(config.heartbeatMs, {
      clients: () => this.wss.clients,
      sessions: () => this.sessions.all(),
      roundStarted: () => {
        this.presence.refresh();
        this.attention.refresh();
      },
      sliceStarted: () => this.presence.expire(),
      check: (sessions) => void this.revalidateSessions(sessions),
    });
  }

  /** Handle an HTTP upgrade to `/api/v1/ws`: admit and authenticate first, then hand the socket to ws. */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const verdict = this.admission.admit(request, this.accepting);
    if (!verdict.admitted) {
      if (verdict.reason) this.metrics.refusedConnections.inc({ reason: verdict.reason });
      return refuseUpgrade(this.wss, request, socket, head, verdict.refusal);
    }
    // Node removes its own error listener before emitting `upgrade`: a reset while the token is
    // checked would otherwise be an uncaught exception. ws adds its own once it takes the socket.
    const onSocketError = () => socket.destroy();
    socket.on("error", onSocketError);
    const checked = await authenticateUpgrade(this.ctx, request);
    if (socket.destroyed) return;
    socket.off("error", onSocketError);
    if (!checked.ok) return refuseUpgrade(this.wss, request, socket, head, checked.refusal);
    const { user, device } = checked.auth;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.open(ws, user, device.id, verdict.address));
  }

  /** Whether a client may ask for a WebSocket ticket now (see `WsAdmission.ticketRefusal`). */
  ticketRefusal(): HaetaeError | null {
    return this.admission.ticketRefusal(this.accepting);
  }

  private open(ws: WebSocket, user: Session["user"], deviceId: string, address: string): void {
    const session = new Session(randomUUID(), user, deviceId, ws, this.config.sendQueueBytes, (ephemeral) =>
      this.metrics.framesShed.inc({ kind: ephemeral ? "ephemeral" : "feed" }),
    );
    const bucket = new TokenBucket(this.config.requestsPerSecond, this.config.requestBurst);
    this.sessions.add(session);
    this.metrics.connections.inc();
    session.send(JSON.stringify({ type: "session", userId: user.id, deviceId, sessionId: session.id }));
    for (const greet of this.greetings) for (const frame of greet()) session.send(frame);
    this.presence.connected(user.id);
    this.attention.attend(deviceId, user.id);

    this.heartbeat.watch(ws, () => session.readingPaused);
    ws.on("message", (data: RawData, isBinary: boolean) => this.onFrame(session, bucket, address, data, isBinary));
    ws.on("error", () => {
      // A socket error is followed by close; nothing to do beyond what close does.
    });
    ws.on("close", () => {
      this.sessions.remove(session);
      this.readPauses.forget(session);
      this.metrics.connections.dec();
      this.presence.disconnected(user.id);
      if (session.visible) this.attention.leave(deviceId, user.id);
    });
  }

  private onFrame(session: Session, bucket: TokenBucket, address: string, data: RawData, isBinary: boolean): void {
    const decoded = decodeFrame(data, isBinary, this.config.maxFrameBytes);
    if (decoded.ok) {
      this.dispatch.take(session, bucket, address, decoded);
      return;
    }
    if (decoded.countAs) this.metrics.countRequest(decoded.countAs, decoded.code);
    replyError(session, decoded.id, decoded.code, decoded.message);
  }

  /** Hand one frame to every session of this node (the incident banner of a tower that feeds each node). */
  broadcast(frame: string): void {
    this.sessions.deliver({ audience: [], everyone: true, frame, ephemeral: false });
  }

  /**
   * Call `listener` when a node (this one included) says a message reached no attending session
   * of a device there, just after its last one there was hidden or closed: a push held for it is
   * owed (`PushDispatcher.heard`).
   */
  onAttentionMissed(listener: (missed: MissedNews) => void): () => void {
    this.missedListeners.add(listener);
    return () => this.missedListeners.delete(listener);
  }

  /** Frames every new session gets right after its `session` frame (the open incidents' banners). */
  addGreeting(greet: () => string[]): () => void {
    this.greetings.add(greet);
    return () => this.greetings.delete(greet);
  }

  /**
   * Close sessions whose device was revoked or whose token expired. A revocation travels on the
   * bus, which may lose it; this check, every heartbeat and whenever the bus comes back, does not.
   */
  async revalidateSessions(checked: Session[] = [...this.sessions.all()]): Promise<void> {
    // Only the sessions asked about: one opened while the store answered has a device the answer
    // does not list, and closing it with 4501 would end it for good (a reconnect storm hit this).
    const deviceIds = [...new Set(checked.map((s) => s.deviceId))];
    if (deviceIds.length === 0) return;
    let active: Set<string>;
    try {
      active = await this.ctx.store.activeDeviceIds(deviceIds, this.ctx.now().toISOString());
    } catch {
      return; // the store is unreachable: keep sessions until it answers
    }
    for (const session of checked) {
      if (!active.has(session.deviceId)) session.close(CLOSE_CODES.sessionRevoked, "session ended");
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Refuse new connections and new requests (`unavailable`, retry elsewhere) and wait, at most
   * `timeoutMs`, until every request already taken has been answered.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.accepting = false;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && [...this.sessions.all()].some((s) => s.pendingRequests > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stop taking connections and close every session with "reconnect elsewhere". */
  close(): void {
    this.accepting = false;
    this.heartbeat.stop();
    this.readPauses.resumeWhenDrained();
    for (const stop of this.unsubscribe) stop();
    for (const session of this.sessions.all())
      session.close(CLOSE_CODES.serverGoingAway, "server shutting down; reconnect");
    // A client that never answers the close frame must not hold the process for ws's 30 s.
    const clients = [...this.wss.clients];
    setTimeout(() => {
      for (const client of clients) client.terminate();
    }, 1000).unref();
    this.wss.close();
  }
}
