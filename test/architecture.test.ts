/**
 * @module The layers of docs/architecture.md, enforced: every import in src/ and web/src points
 * inward, only the composition root picks adapters, and the page's table says what this file says.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The layers, innermost first. `files`: `dir/**` is everything below a folder, `dir/*` the
 * files directly in it, anything else one file. A layer may import itself and what it lists.
 */
const LAYERS = [
  { name: "protocol", files: ["src/protocol/**"], mayImport: [] },
  { name: "config", files: ["src/config/**"], mayImport: ["protocol"] },
  { name: "store", files: ["src/store/*"], mayImport: ["protocol", "config"] },
  { name: "bus", files: ["src/bus/bus.ts"], mayImport: ["protocol", "config"] },
  { name: "guard", files: ["src/guard/**"], mayImport: ["protocol", "config"] },
  { name: "http", files: ["src/http/**"], mayImport: ["protocol", "config", "store"] },
  { name: "chat", files: ["src/chat/**"], mayImport: ["protocol", "config", "store", "bus", "guard"] },
  { name: "tower", files: ["src/ops/*", "src/ops/tower/**"], mayImport: ["protocol", "config", "store"] },
  {
    name: "ops",
    files: ["src/ops/monitoring/**", "src/ops/propagation/**", "src/ops/status/**", "src/ops/link/**"],
    mayImport: ["protocol", "config", "store", "bus", "guard", "http", "chat", "tower"],
  },
  {
    name: "gateway",
    files: ["src/gateway/**"],
    mayImport: ["protocol", "config", "store", "bus", "guard", "http", "chat", "tower", "ops"],
  },
  {
    name: "store adapters",
    files: ["src/store/sql/**", "src/store/sqlite/**", "src/store/postgres/**", "src/store/disk/**", "src/store/s3/**"],
    mayImport: ["protocol", "config", "store"],
  },
  {
    name: "bus adapters",
    files: ["src/bus/memory-bus.ts", "src/bus/nats-bus.ts", "src/bus/bus-batch.ts"],
    mayImport: ["protocol", "config", "bus"],
  },
  { name: "sdk", files: ["src/sdk/**"], mayImport: ["protocol"] },
  { name: "web", files: ["web/src/**"], mayImport: ["protocol", "sdk"] },
  { name: "composition root", files: ["src/app.ts", "src/adapters.ts", "src/cli.ts"], mayImport: ["*"] },
] as const satisfies readonly { name: string; files: readonly string[]; mayImport: readonly string[] }[];

type LayerName = (typeof LAYERS)[number]["name"];

/**
 * Known exceptions to remove: wrong-way arrows that are being taken out. Each is one importer
 * (or a folder of them, ending in `/`) and one imported file. When an arrow is gone the test
 * fails until its entry is deleted, so this list only ever shrinks.
 */
const KNOWN_EXCEPTIONS: { from: string; to: string }[] = [];

function matches(pattern: string, file: string): boolean {
  if (pattern.endsWith("/**")) return file.startsWith(pattern.slice(0, -2));
  if (pattern.endsWith("/*")) return dirname(file) === pattern.slice(0, -2);
  return file === pattern;
}

/** The layer of a file (a path from the repository root, extension .ts), or undefined. */
function layerOf(file: string): LayerName | undefined {
  return LAYERS.find((layer) => layer.files.some((pattern) => matches(pattern, file)))?.name;
}

/** Why `from` may not import `to`, or undefined when it may. */
function violation(from: string, to: string): string | undefined {
  const source = LAYERS.find((layer) => layer.name === layerOf(from));
  const target = layerOf(to);
  if (!source || !target) return `${from} → ${to}: outside every layer; place it in docs/architecture.md and here`;
  if (source.name === target || (source.mayImport as readonly string[]).some((n) => n === "*" || n === target)) {
    return undefined;
  }
  return `${from} (${source.name}) → ${to} (${target})`;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Every import (static, type-only, re-export, dynamic) of our own files, as [importer, imported]. */
function importEdges(): [string, string][] {
  const edges: [string, string][] = [];
  for (const file of [...sourceFiles("src"), ...sourceFiles("web/src")]) {
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), "utf8"), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      edges.push([file, normalize(join(dirname(file), fileName)).replace(/\.js$/, ".ts")]);
    }
  }
  return edges;
}

const isKnown = (from: string, to: string, known: { from: string; to: string }) =>
  to === known.to && (known.from.endsWith("/") ? from.startsWith(known.from) : from === known.from);

describe("import direction", () => {
  const edges = importEdges();

  it("reads the project's imports", () => {
    // Guards the reader itself: a broken walk would find no imports and no violations.
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual(["src/chat/context.ts", "src/store/store.ts"]);
  });

  it("places every file in a layer and points every arrow inward", () => {
    for (const file of [...sourceFiles("src"), ...sourceFiles("web/src")]) {
      expect(layerOf(file), `${file} is in no layer`).toBeDefined();
    }
    const wrong = edges
      .filter(([from, to]) => !KNOWN_EXCEPTIONS.some((known) => isKnown(from, to, known)))
      .flatMap(([from, to]) => violation(from, to) ?? []);
    expect(wrong).toEqual([]);
  });

  it("refuses an outward arrow and an adapter picked outside the composition root", () => {
    expect(violation("src/chat/accounts.ts", "src/gateway/http-server.ts")).toBeDefined();
    expect(violation("src/protocol/events.ts", "src/chat/context.ts")).toBeDefined();
    expect(violation("src/chat/context.ts", "src/store/sqlite/sqlite-store.ts")).toBeDefined();
    expect(violation("src/ops/propagation/propagation.ts", "src/bus/nats-bus.ts")).toBeDefined();
    expect(violation("web/src/main.tsx", "src/ops/tower/model.ts")).toBeDefined();
    expect(violation("src/sdk/client.ts", "src/chat/context.ts")).toBeDefined();
    expect(violation("src/app.ts", "src/store/sqlite/sqlite-store.ts")).toBeUndefined();
  });

  it("keeps no exception that no longer occurs", () => {
    const stale = KNOWN_EXCEPTIONS.filter((known) => !edges.some(([from, to]) => isKnown(from, to, known)));
    expect(stale, "these arrows are gone: delete their entries from KNOWN_EXCEPTIONS").toEqual([]);
  });
});

describe("docs/architecture.md", () => {
  it("states the same layers, files and permitted imports", () => {
    const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
    const rows = [...doc.matchAll(/^\| \*\*([\w ]+)\*\*\s*\|([^|]+)\|([^|]+)\|/gm)].map(([, name, files, may]) => ({
      name,
      files: [...(files ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]),
      mayImport: (may ?? "").trim() === "—" ? [] : (may ?? "").split(",").map((s) => s.trim().replace(/^any$/, "*")),
    }));
    expect(rows).toEqual(LAYERS.map(({ name, files, mayImport }) => ({ name, files, mayImport })));
  });
});
