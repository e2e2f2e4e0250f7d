/** @module `npm start`'s build step builds once, then starts without building until a source changes. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = join(import.meta.dirname, "..", "scripts", "build-if-stale.mjs");
const project = mkdtempSync(join(tmpdir(), "haetae-build-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** A package whose build counts its runs and writes what the check looks for. */
function makeProject(): void {
  mkdirSync(join(project, "src"), { recursive: true });
  writeFileSync(join(project, "src", "cli.ts"), "export {};\n");
  const build =
    "node -e \"const f=require('fs');f.mkdirSync('dist/web',{recursive:true});" +
    "f.writeFileSync('dist/cli.js','');f.appendFileSync('builds.txt','x')\"";
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "p", private: true, scripts: { build } }));
}

function start(): string {
  return execFileSync("node", [script, project], { cwd: project, encoding: "utf8" });
}
const builds = () => readFileSync(join(project, "builds.txt"), "utf8").length;

describe("npm start's build step", () => {
  it("builds when nothing is built, skips an up-to-date build, and builds again after a source changes", () => {
    makeProject();
    start();
    expect(builds()).toBe(1);
    expect(start()).toContain("up to date");
    expect(builds()).toBe(1);
    // A source edited after the build (the build is dated back, so the test needs no sleep).
    const earlier = new Date(Date.now() - 10_000);
    utimesSync(join(project, "dist", ".build-stamp"), earlier, earlier);
    writeFileSync(join(project, "src", "cli.ts"), "export const edited = 1;\n");
    start();
    expect(builds()).toBe(2);
    expect(start()).toContain("up to date");
    expect(builds()).toBe(2);
    rmSync(join(project, "dist", "cli.js"));
    start();
    expect(builds()).toBe(3);
  });
});
