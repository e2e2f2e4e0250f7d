/** @module The V8 flags a Haetae server runs with: the ones on `bin/haetae.js`'s first line, so a benchmark measures what `npm start` runs. */

/**
 * A young generation of 2 × 32 MB instead of Node 20's 2 × 16 MB. Under load a send's objects
 * (frame, message, reply, the writer thread's copies) live for one group commit, a few hundred
 * milliseconds; with 16 MB semi-spaces they outlived two scavenges and were promoted, and the
 * main thread spent 23 % of its time in garbage collection (`npm run bench:send -- --profile`).
 */
/**
 * `--expose-gc`: an idle process runs one minor collection now and then, in which V8 gives back
 * the young generation its start-up grew (src/ops/idle-young-generation.ts).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32", "--expose-gc"];

/**
 * The environment `bin/haetae.js` gives the server beside the caller's: glibc's allocator with
 * one arena (docs/decisions.md, "One malloc arena").
 */
export const SERVER_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: "1" };

/** This process's environment with `SERVER_NODE_ENV`, then `overrides` (`NAME=VALUE`; `NAME=` removes it). */
export function serverEnv(overrides: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  Object.assign(env, SERVER_NODE_ENV);
  for (const pair of overrides) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`--server-env wants NAME=VALUE, not ${pair}`);
    const name = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (value === "") delete env[name];
    else env[name] = value;
  }
  return env;
}
