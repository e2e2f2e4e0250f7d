/**
 * @module The watcher: the chat node runs in a child process, the tower here. When the child dies
 * the tower opens an incident (the cause: its exit code or signal), the child is restarted with
 * backoff, and its first good `/readyz` resolves the alert; a crash loop stops the restarts, marks
 * a major outage and pages staff; a child that stops answering `/readyz` is an outage too.
 */
import type { ChildProcess } from "node:child_process";
import type { Config } from "../../config/config.js";
import type { Tower } from "../tower/tower.js";
import { serveChild } from "./ipc-link.js";
import type { TowerHost } from "./tower-host.js";

export type WatcherSettings = Pick<
  Config,
  | "restartBackoffMs"
  | "restartBackoffMaxMs"
  | "crashLoopDeaths"
  | "crashLoopWindowMs"
  | "watchIntervalMs"
  | "watchFailures"
  | "probeTimeoutMs"
  | "shutdownTimeoutMs"
  | "towerComponents"
>;

export interface NodeWatcherOptions {
  settings: WatcherSettings;
  tower: Tower;
  host: TowerHost;
  /** Start the node: a child with an IPC channel (`child_process.fork`). */
  spawn(): ChildProcess;
  /** The node's readiness address (`http://127.0.0.1:8080/readyz`). */
  readyUrl: string;
  log?: (line: string) => void;
}

/** Where the watcher is: a node running, waiting to restart, given up on, or stopped. */
export type WatcherState = "running" | "restarting" | "crash_loop" | "stopped";

/** The alert of the node's process being gone (exited, crash loop). */
export const EXIT_ALERT = "watcher:node-process";
/** The alert of a running node that does not answer `/readyz`. */
export const HUNG_ALERT = "watcher:node-readyz";

const ACTOR = { username: "watcher", role: "admin" as const };

/** Whether `url` answers 2xx within `timeoutMs`. */
export async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Whether the alert with this dedup key is still firing (or acknowledged). */
export function openAlert(tower: Tower, dedupKey: string): boolean {
  return tower.listAlerts({ source: "watcher" }).some((a) => a.dedupKey === dedupKey && a.state !== "resolved");
}

/** How a process ended, in words: "signal SIGKILL" or "code 1". */
function cause(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

export class NodeWatcher {
  private child: ChildProcess | undefined;
  private stopLink = () => {};
  private current: WatcherState = "restarting";
  private deaths: number[] = [];
  /** The node is down (exited) and has not passed a probe since: the exit alert is firing. */
  private down = false;
  /** The node said it listens; `/readyz` is checked from then on. */
  private announced = false;
  private failures = 0;
  private hung = false;
  private checking = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly timer: NodeJS.Timeout;
  private exited: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  private readonly components: string[];

  constructor(private readonly options: NodeWatcherOptions) {
    this.log = options.log ?? ((line) => console.log(`haetae watcher: ${line}`));
    this.components = options.settings.towerComponents.map((c) => c.id);
    // An outage the last watcher left open (a crash loop, or a watcher that died itself) ends
    // with this node's first good probe, like one of its own.
    this.down = openAlert(options.tower, EXIT_ALERT);
    this.hung = openAlert(options.tower, HUNG_ALERT);
    this.timer = setInterval(() => void this.check(), options.settings.watchIntervalMs);
    this.timer.unref();
    this.startChild();
  }

  get state(): WatcherState {
    return this.current;
  }

  /** The running child's process id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private startChild(): void {
    const child = this.options.spawn();
    this.child = child;
    this.current = "running";
    this.announced = false;
    this.failures = 0;
    this.stopLink = serveChild(child, this.options.host, () => {
      this.announced = true;
      void this.check();
    });
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.onExit(child, code, signal);
        resolve();
      });
    });
    this.log(`node started (pid ${child.pid})`);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.stopLink();
    if (this.child === child) this.child = undefined;
    if (this.current === "stopped") return;
    const now = Date.now();
    const { settings, tower } = this.options;
    this.deaths = [...this.deaths.filter((at) => now - at < settings.crashLoopWindowMs), now];
    const why = cause(code, signal);
    this.log(`node (pid ${child.pid}) exited with ${why}`);
    // A hung node that then died is one outage: the exit alert now says what happened.
    this.resolveHung();
    tower.ingestAlert({
      source: "watcher",
      dedupKey: EXIT_ALERT,
      name: "ChatProcessExited",
      summary: `The chat process exited (${why})`,
      action: "trigger",
      urgency: "page",
      labels: { pid: String(child.pid), ...(signal ? { signal } : { code: String(code) }) },
      components: this.components,
    });
    this.down = true;
    tower.noteOnAlert(EXIT_ALERT, `Exit: the chat process (pid ${child.pid}) exited with ${why}`, {
      event: "exit",
      pid: child.pid,
      code,
      signal,
    });
    this.tellPublic(
      `The chat server stopped unexpectedly (process exited with ${why}); it is being restarted. ` +
        "Messages already sent are kept.",
    );
    if (this.deaths.length >= settings.crashLoopDeaths) {
      this.crashLoop();
      return;
    }
    const delay = Math.min(settings.restartBackoffMaxMs, settings.restartBackoffMs * 2 ** (this.deaths.length - 1));
    this.current = "restarting";
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.current !== "restarting") return;
      this.startChild();
      tower.noteOnAlert(
        EXIT_ALERT,
        `Restart: the chat process started again (pid ${this.child?.pid}) after ${delay} ms`,
        {
          event: "restart",
          pid: this.child?.pid,
          delayMs: delay,
          attempt: this.deaths.length,
        },
      );
    }, delay);
  }

  /** Post a public update on the exit alert's open incident (the cause, on the status page). */
  private tellPublic(body: string): void {
    const incident = this.options.tower.incidentOfAlert(EXIT_ALERT);
    if (incident && incident.status !== "resolved") this.options.tower.update(incident.id, { body }, ACTOR);
  }

  /** Too many deaths in the window: stop restarting, grade it SEV1 (major outage) and page. */
  private crashLoop(): void {
    const { settings, tower } = this.options;
    this.current = "crash_loop";
    const seconds = Math.round(settings.crashLoopWindowMs / 1000);
    const reason = `crash loop: ${this.deaths.length} exits within ${seconds} s; restarts stopped`;
    this.log(`${reason}; the status page shows a major outage until an operator restarts haetae`);
    tower.noteOnAlert(EXIT_ALERT, `Crash loop: ${this.deaths.length} exits within ${seconds} s; not restarting`, {
      event: "crash_loop",
      deaths: this.deaths.length,
    });
    const incident = tower.incidentOfAlert(EXIT_ALERT);
    if (incident && incident.status !== "resolved") {
      tower.overrideSeverity(incident.id, { severity: "SEV1", reason }, ACTOR);
      this.tellPublic(
        "The chat server keeps stopping and is no longer restarted automatically; staff have been paged.",
      );
    }
  }

  /** One check of `/readyz`: a running node's first good answer ends the outage; `watchFailures` bad ones in a row start one. */
  private async check(): Promise<void> {
    const child = this.child;
    if (!child || !this.announced || this.checking || this.current !== "running") return;
    this.checking = true;
    try {
      const ok = await answers(this.options.readyUrl, Math.min(this.options.settings.probeTimeoutMs, 10_000));
      if (child !== this.child || this.current !== "running") return;
      if (ok) this.onGoodProbe(child);
      else this.onBadProbe(child);
    } finally {
      this.checking = false;
    }
  }

  private onGoodProbe(child: ChildProcess): void {
    const { tower } = this.options;
    this.failures = 0;
    this.resolveHung();
    if (!this.down) return;
    this.down = false;
    this.log(`node (pid ${child.pid}) answers /readyz again`);
    tower.noteOnAlert(EXIT_ALERT, `First good probe: /readyz of the chat process (pid ${child.pid}) answered`, {
      event: "ready",
      pid: child.pid,
    });
    tower.ingestAlert({
      source: "watcher",
      dedupKey: EXIT_ALERT,
      name: "ChatProcessExited",
      summary: "",
      action: "resolve",
      urgency: "page",
    });
  }

  private onBadProbe(child: ChildProcess): void {
    this.failures += 1;
    if (this.hung || this.failures < this.options.settings.watchFailures) return;
    this.hung = true;
    this.log(`node (pid ${child.pid}) failed ${this.failures} /readyz checks in a row`);
    this.options.tower.ingestAlert({
      source: "watcher",
      dedupKey: HUNG_ALERT,
      name: "ChatProcessUnresponsive",
      summary: `The chat process does not answer /readyz (${this.failures} checks in a row)`,
      action: "trigger",
      urgency: "page",
      labels: { pid: String(child.pid) },
      components: this.components,
    });
  }

  private resolveHung(): void {
    if (!this.hung) return;
    this.hung = false;
    this.options.tower.ingestAlert({
      source: "watcher",
      dedupKey: HUNG_ALERT,
      name: "ChatProcessUnresponsive",
      summary: "",
      action: "resolve",
      urgency: "page",
    });
  }

  /** Stop the node gracefully (SIGTERM; SIGKILL after `shutdownTimeoutMs`), then stop watching. */
  async stop(): Promise<void> {
    this.current = "stopped";
    clearInterval(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), this.options.settings.shutdownTimeoutMs + 1000);
    await this.exited;
    clearTimeout(force);
  }
}
