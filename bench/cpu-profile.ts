/** @module Reading a V8 CPU profile (`node --cpu-prof`): the functions that took the most self time in a window. */
import { readFileSync } from "node:fs";

/**
 * Top self-time functions of a V8 CPU profile (with their two nearest callers), counting only
 * samples inside [from, to] µs of its clock; file paths are shown relative to `root`. V8 samples
 * on wall time, and a native call (a better-sqlite3 statement, an fsync, a socket write) counts
 * as self time of the JS function that made it.
 */
export function topSelfTime(file: string, fromUs: number, toUs: number, root: string, top = 15): string[] {
  type Frame = { functionName: string; url: string; lineNumber: number };
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: { id: number; callFrame: Frame; children?: number[] }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const label = (frame: Frame) => {
    const where = frame.url.replace(`file://${root}`, "").replace(/^.*node_modules\//, "");
    const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : "";
    return `${frame.functionName || "(anonymous)"}${where ? ` (${where}${line})` : ""}`;
  };
  const self = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i] as number;
    const node = byId.get(id);
    if (!node) continue;
    const chain = [label(node.callFrame)];
    for (let up = parentOf.get(id), k = 0; up !== undefined && k < 2; up = parentOf.get(up), k++) {
      const parent = byId.get(up);
      if (parent && parent.callFrame.functionName !== "(root)") chain.push(label(parent.callFrame));
    }
    const name = chain.join(" ← ");
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`);
}
