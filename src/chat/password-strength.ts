/** @module The rule for a new password: length, and strength by zxcvbn-ts (common and breached passwords, names, patterns), scored on a thread of its own. */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { HaetaeError } from "../protocol/index.js";
import type { ChatContext } from "./context.js";

/** Long passphrases are welcome; past this a body is not a password. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Only this many characters are scored: zxcvbn's cost grows steeply with length (a random
 * 64-character password took over a second on a busy core, 32 characters a tenth of that), and
 * a password whose first 32 characters are hard to guess is hard to guess.
 */
export const SCORED_LENGTH = 32;
/**
 * The thread ends after this long without a check: its dictionaries hold about 60 MB, which an
 * idle node should not keep for a registration that may not come. The next check loads them
 * again (about half a second).
 */
export const IDLE_THREAD_MS = 60_000;
/** Checks waiting for the thread; more are refused with `overloaded` rather than queued without end. */
const MAX_WAITING = 200;

/** zxcvbn's verdict: a score 0 (too guessable) … 4 (very unguessable), and why, in English. */
export interface Strength {
  score: number;
  warning: string | null;
  suggestions: string[];
}

const require = createRequire(import.meta.url);
/** Entry points resolved here, so the thread needs neither tsx nor the working directory. */
const MODULES = {
  core: require.resolve("@zxcvbn-ts/core"),
  common: require.resolve("@zxcvbn-ts/language-common"),
  en: require.resolve("@zxcvbn-ts/language-en"),
};

/**
 * Plain CommonJS, run with `eval`. The dictionaries are language-common's password list (drawn
 * from breach corpora) and names, and language-en's words. l33t substitutions are capped at 4:
 * with zxcvbn's default of 100, a 16-character random password took over 100 ms and a
 * 100-character one seconds; 4 still finds "P@ssw0rd2024" and "1l0v3y0u".
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const core = require(workerData.core);
const common = require(workerData.common);
const en = require(workerData.en);
const zxcvbn = new core.ZxcvbnFactory({
  translations: en.translations,
  graphs: common.adjacencyGraphs,
  dictionary: { ...common.dictionary, ...en.dictionary },
  l33tMaxSubstitutions: 4,
  maxLength: workerData.maxLength,
});
// One check before saying ready: the first one after loading costs several times a later one.
zxcvbn.check("warm up the matchers 4 a first check", []);
parentPort.postMessage({ ready: true });
parentPort.on("message", ({ id, password, userInputs }) => {
  try {
    const result = zxcvbn.check(password, userInputs);
    parentPort.postMessage({ id, score: result.score, warning: result.feedback.warning, suggestions: result.feedback.suggestions });
  } catch (error) {
    parentPort.postMessage({ id, error: String((error && error.message) || error) });
  }
});
`;

type Reply = { id: number; error?: string; ready?: true } & Partial<Strength>;

/**
 * Scores passwords on one thread of its own, started at the first check and ended after
 * `IDLE_THREAD_MS` without one: zxcvbn is synchronous and takes from a few to a few hundred milliseconds, which on the
 * event loop would stall every session of the node. One check at a time, in arrival order.
 */
export class PasswordStrength {
  private worker: Worker | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(s: Strength): void; reject(e: Error): void }>();

  constructor(private readonly idleMs = IDLE_THREAD_MS) {}

  /** Whether the thread (and its dictionaries) is loaded now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Score `password` (its first `SCORED_LENGTH` characters) against zxcvbn, with `userInputs` as words an attacker would try first. */
  check(password: string, userInputs: string[]): Promise<Strength> {
    if (this.waiting.size >= MAX_WAITING) return Promise.reject(new StrengthBusyError());
    const worker = this.start();
    clearTimeout(this.idleTimer);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref(); // a check in flight keeps the process alive until it answers
      worker.postMessage({ id, password: password.slice(0, SCORED_LENGTH), userInputs });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { ...MODULES, maxLength: SCORED_LENGTH } });
    worker.unref();
    worker.on("message", (reply: Reply) => {
      if (reply.ready) return;
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) {
        worker.unref();
        this.idleTimer = setTimeout(() => this.stopIdle(worker), this.idleMs).unref();
      }
      if (!waiter) return;
      if (reply.error !== undefined) waiter.reject(new Error(`password strength check failed: ${reply.error}`));
      else
        waiter.resolve({
          score: reply.score ?? 0,
          warning: reply.warning ?? null,
          suggestions: reply.suggestions ?? [],
        });
    });
    // A dead thread fails what it held; the next check starts a new one.
    const fail = (error: Error) => {
      // A thread ended for being idle held no checks; those waiting belong to its successor.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`password strength thread exited with ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** End an idle thread; a check that came meanwhile keeps it. */
  private stopIdle(worker: Worker): void {
    if (this.worker !== worker || this.waiting.size > 0) return;
    this.worker = undefined;
    void worker.terminate();
  }
}

/** Too many checks waiting: the caller answers `overloaded` with a retry time. */
export class StrengthBusyError extends Error {
  override name = "StrengthBusyError";
}

/** The process's one scorer: a thread per process is enough, and every node in it shares it. */
export const passwordStrength = new PasswordStrength();

/**
 * Refuse a new password that is too short, too long, or that zxcvbn scores below
 * `passwordMinScore` — a common or breached password, a keyboard walk, a date, the user's own
 * name — with zxcvbn's reason in the message.
 */
export async function checkNewPassword(
  ctx: ChatContext,
  password: string,
  user: { username: string; displayName: string },
): Promise<void> {
  const min = ctx.limits.minPasswordLength;
  if (password.length < min || password.length > MAX_PASSWORD_LENGTH) {
    throw new HaetaeError("weak_password", `The password must be ${min} to ${MAX_PASSWORD_LENGTH} characters long.`);
  }
  if (ctx.limits.passwordMinScore === 0) return;
  const inputs = [user.username, user.displayName, ...user.displayName.split(/\s+/), "haetae"];
  let strength: Awaited<ReturnType<typeof passwordStrength.check>>;
  try {
    strength = await passwordStrength.check(password, inputs);
  } catch (error) {
    if (error instanceof StrengthBusyError) {
      throw new HaetaeError("overloaded", "Too many passwords are being checked; retry after retryAfterMs.", 1000);
    }
    throw error;
  }
  if (strength.score >= ctx.limits.passwordMinScore) return;
  const why = [strength.warning, ...strength.suggestions].filter((s): s is string => !!s);
  const advice = why.length > 0 ? why.join(" ") : "Use a few uncommon words together, or a longer password.";
  throw new HaetaeError("weak_password", `This password is too easy to guess. ${advice}`);
}
