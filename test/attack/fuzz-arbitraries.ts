/** @module The fuzzer's generators: odd strings, request frames derived from the protocol's schemas, raw garbage and HTTP requests. */
import fc from "fast-check";
import type { z } from "zod";
import { REQUESTS } from "../../src/protocol/index.js";

/**
 * Identifiers the attacker knows and may put in any id field: its own, other attackers', the
 * victim's user id. The victim's private conversation id is only ever put in `conversationId`
 * fields, so a frame that carries it back can only be an echo of that guess or a leak.
 */
export interface KnownIds {
  userIds: string[];
  conversationIds: string[];
  /** Only for `conversationId` fields. */
  guessedConversationIds: string[];
  deviceIds: string[];
  usernames: string[];
}

/** Characters that have broken text handling somewhere: each is a fragment odd strings are built from. */
const ODD_FRAGMENTS = [
  "\uD800", // lone high surrogate
  "\uDFFF", // lone low surrogate
  "\uDBFF\uDBFF",
  "\u0000", // NUL (PostgreSQL refuses it)
  "\u0001\u001b[31m\u007f\u0085",
  "\u202E", // right-to-left override
  "\u202D\u2066\u2067\u2068\u2069\u061C\u200E\u200F",
  "\u200B\u200C\u200D\uFEFF\u2060", // zero-width
  "e\u0301",
  "\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c", // a pile of combining marks
  "\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}", // emoji ZWJ sequence
  "\u{1F3F3}\uFE0F\u200D\u{1F308}",
  "\u{1D54F}\u{10FFFF}\u{1F600}\u{2070E}", // 4-byte UTF-8
  "가\u1100\u1161\u11A8",
  "\u0430dmin\u0455ystem", // Cyrillic look-alikes
  "\u2028\u2029",
  "\uFFFE\uFFFF\uFFFD",
  "@all",
  "<script>alert(1)</script>",
  "%00%2e%2e/",
  "\\\"'`$\u007b}", // quotes, a backslash and a template placeholder
  "__proto__",
  "constructor",
  "toString",
  " ",
  "",
];

/** A string from odd fragments, random code points and plain text, sometimes repeated to great length. */
export function oddString(maxRepeat = 20_000): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ODD_FRAGMENTS) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
    { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 8 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  return fc
    .tuple(
      fc.array(piece, { maxLength: 6 }),
      fc.oneof(
        { weight: 8, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.integer({ min: 2, max: maxRepeat }) },
      ),
    )
    .map(([pieces, times]) => pieces.join("").repeat(times));
}

/** Wrong-typed JSON values: what a field that wants a string or a number may get instead. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 1e308, Number.MAX_SAFE_INTEGER + 2, "", [], {}, [[]], { $gt: "" }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);

/** The shape of one schema field, read from zod so that new fields and requests are fuzzed the day they appear. */
interface FieldSpec {
  kind: "string" | "int" | "array" | "enum" | "boolean" | "other";
  min: number;
  max: number;
  options: string[];
}

function fieldSpec(schema: z.ZodType): FieldSpec {
  // biome-ignore lint/suspicious/noExplicitAny: zod's internals are what tells a field's kind and bounds
  let s = schema as any;
  while (s._zod.def.type === "optional" || s._zod.def.type === "nullable" || s._zod.def.type === "default") {
    s = s._zod.def.innerType;
  }
  const type: string = s._zod.def.type;
  const checks: { _zod: { def: { check: string; minimum?: number; maximum?: number } } }[] = s._zod.def.checks ?? [];
  const bound = (name: string, fallback: number) =>
    checks.map((c) => c._zod.def).find((d) => d.check === name)?.[name === "min_length" ? "minimum" : "maximum"] ??
    fallback;
  if (type === "string") return { kind: "string", min: s.minLength ?? 0, max: s.maxLength ?? 10_000, options: [] };
  if (type === "number") return { kind: "int", min: s.minValue ?? -(2 ** 31), max: s.maxValue ?? 2 ** 31, options: [] };
  if (type === "array")
    return { kind: "array", min: bound("min_length", 0), max: bound("max_length", 100), options: [] };
  if (type === "enum") return { kind: "enum", min: 0, max: 0, options: Object.values(s._zod.def.entries) as string[] };
  if (type === "boolean") return { kind: "boolean", min: 0, max: 0, options: [] };
  return { kind: "other", min: 0, max: 0, options: [] };
}

/** Lengths at and around a string's bounds, capped so one frame stays a few hundred KiB at most. */
function lengthsAround(min: number, max: number): number[] {
  const cap = 300_000;
  return [min - 1, min, min + 1, max - 1, max, max + 1].filter((n) => n >= 0 && n <= cap);
}

/**
 * Stand-ins for values only the run itself makes (the conversations it created, the cursors its
 * syncs returned): a lane puts one of those it has seen in their place when it sends the frame.
 */
export const LEARNED = { conversationId: "\u0000learned:conversation", cursor: "\u0000learned:cursor" } as const;

function idLike(field: string, known: KnownIds): fc.Arbitrary<string> {
  const pool = field.toLowerCase().includes("conversation")
    ? [...known.conversationIds, ...known.guessedConversationIds, LEARNED.conversationId, LEARNED.conversationId]
    : field.toLowerCase().includes("device")
      ? known.deviceIds
      : known.userIds;
  return pool.length > 0 ? fc.constantFrom(...pool) : fc.constant("none");
}

/** A valid-looking value for a field: right type, values at the bounds, ids the attacker knows. */
function validLooking(field: string, spec: FieldSpec, known: KnownIds): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case "string": {
      const choices: fc.Arbitrary<string>[] = [
        fc.string({ unit: "grapheme", minLength: Math.max(spec.min, 0), maxLength: Math.min(spec.max, 40) }),
        fc
          .constantFrom(...lengthsAround(spec.min, spec.max))
          .chain((n) => fc.constantFrom("x", "가", "\u{1F600}").map((c) => c.repeat(n).slice(0, n))),
      ];
      if (/id$/i.test(field)) choices.push(idLike(field, known), idLike(field, known));
      if (field === "username" && known.usernames.length > 0) choices.push(fc.constantFrom(...known.usernames));
      if (field === "cursor") choices.push(fc.constant(LEARNED.cursor), fc.constant(LEARNED.cursor));
      if (field === "emoji") choices.push(fc.constantFrom("\u{1F44D}", "\u2764\uFE0F", "\u{1F469}\u200D\u{1F4BB}"));
      if (field === "text") choices.push(fc.constantFrom(...known.usernames.map((u) => `hi @${u} @all`)));
      return fc.oneof(...choices);
    }
    case "int":
      return fc.oneof(
        fc.constantFrom(spec.min - 1, spec.min, spec.min + 1, spec.max - 1, spec.max, spec.max + 1, 0, 1, 2),
        fc.integer({ min: Math.max(spec.min, -(2 ** 31)), max: Math.min(spec.max, 2 ** 31) }),
      );
    case "array": {
      const element = fc.oneof(idLike(field, known), oddString(10), wrongType);
      return fc.oneof(
        fc.array(idLike(field, known), { maxLength: 5 }),
        fc.array(element, { maxLength: 8 }),
        fc.constantFrom(spec.max, spec.max + 1).map((n) => Array.from({ length: n }, (_, i) => `u${i}`)),
      );
    }
    case "enum":
      return fc.oneof(
        fc.constantFrom(...spec.options),
        fc.constantFrom(...spec.options).map((o) => o.toUpperCase()),
      );
    case "boolean":
      return fc.boolean();
    default:
      return wrongType;
  }
}

/** A parameter value: mostly valid-looking, else wrong-typed, odd text, or deeply nested. */
function paramValue(field: string, spec: FieldSpec, known: KnownIds): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: validLooking(field, spec, known) },
    { weight: 2, arbitrary: wrongType },
    { weight: 2, arbitrary: oddString() },
    // Deeper nesting goes in raw frames (up to 100,000 levels): a value this deep is still one JSON.stringify can write.
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map((depth) => nest(depth)) },
  );
}

function nest(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The ways a frame's `id` can look; the number itself is chosen at send time so every id is unique. */
export type IdShape =
  | { kind: "number"; negative: boolean }
  | { kind: "string"; suffix: string }
  | { kind: "bad"; value: unknown }
  | { kind: "missing" };

const idShape: fc.Arbitrary<IdShape> = fc.oneof(
  { weight: 4, arbitrary: fc.boolean().map((negative): IdShape => ({ kind: "number", negative })) },
  { weight: 4, arbitrary: oddString(3).map((suffix): IdShape => ({ kind: "string", suffix: suffix.slice(0, 60) })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom(null, {}, [], true, 1.5, "", 2 ** 53 + 1, -(2 ** 64), { id: 1 }),
        fc.integer({ min: 129, max: 100_000 }).map((n) => "i".repeat(n)),
      )
      .map((value): IdShape => ({ kind: "bad", value })),
  },
  { weight: 1, arbitrary: fc.constant<IdShape>({ kind: "missing" }) },
);

/** One frame to throw: a request built from the schemas, or raw text or bytes. */
export type FuzzFrame =
  | { kind: "request"; type: string; id: IdShape; params: Record<string, unknown> }
  | { kind: "text"; id: IdShape; text: (id: unknown) => string; label: string }
  | { kind: "binary"; bytes: Uint8Array }
  /** A text frame that is not UTF-8: the WebSocket layer closes the connection (1007), on a connection of its own. */
  | { kind: "badutf8"; bytes: Uint8Array };

/** Every request type of the protocol, read from REQUESTS, with its fields. */
export const REQUEST_TYPES = Object.entries(REQUESTS).map(([type, schema]) => ({
  type,
  fields: Object.entries((schema as z.ZodObject).shape).map(([name, field]) => ({
    name,
    spec: fieldSpec(field as z.ZodType),
  })),
}));

/** A request of any known type (or a near miss of one) with valid-looking, mutated and wrong-typed params. */
function requestFrame(known: KnownIds): fc.Arbitrary<FuzzFrame> {
  const byType = REQUEST_TYPES.map(({ type, fields }) => {
    const params = fc.record(
      Object.fromEntries(fields.map(({ name, spec }) => [name, paramValue(name, spec, known)])) as Record<
        string,
        fc.Arbitrary<unknown>
      >,
      { requiredKeys: [] },
    );
    // Most frames carry every field (so the domain is reached), some drop fields at random.
    const complete = fc.record(
      Object.fromEntries(fields.map(({ name, spec }) => [name, validLooking(name, spec, known)])) as Record<
        string,
        fc.Arbitrary<unknown>
      >,
    );
    const typeName = fc.oneof(
      { weight: 8, arbitrary: fc.constant(type) },
      { weight: 1, arbitrary: fc.constantFrom(type.toUpperCase(), `${type} `, `${type}\u0000`, `${type}.x`) },
    );
    return fc.tuple(
      typeName,
      idShape,
      fc.oneof({ weight: 3, arbitrary: complete }, { weight: 2, arbitrary: params }),
      fc.dictionary(oddString(2), wrongType, { maxKeys: 2 }),
    );
  });
  return fc
    .oneof(...byType)
    .map(([type, id, params, extra]): FuzzFrame => ({ kind: "request", type, id, params: { ...extra, ...params } }));
}

/** Raw frames: invalid JSON, deep nesting, frames around the size limit, wrong envelopes, binary. */
function rawFrame(maxFrameBytes: number): fc.Arbitrary<FuzzFrame> {
  const envelope = (id: unknown) => (id === undefined ? '"type":"ping"' : `"type":"ping","id":${JSON.stringify(id)}`);
  const text = (label: string, make: (id: unknown) => string) =>
    idShape.map((id): FuzzFrame => ({ kind: "text", id, label, text: make }));
  return fc.oneof(
    fc.constantFrom(1000, 30_000, 100_000).chain((depth) =>
      fc.oneof(
        text(`[ x${depth} closed`, () => `${"[".repeat(depth)}${"]".repeat(depth)}`),
        text(`[ x${depth} open`, () => "[".repeat(depth)),
        text(
          `{"a": x${depth} in a field`,
          (id) => `{${envelope(id)},"x":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}`,
        ),
        text(`memberIds nested x${depth}`, (id) =>
          JSON.stringify({ type: "conversation.create", id, kind: "group", memberIds: nest(0) }).replace(
            '"memberIds":[]',
            `"memberIds":${"[".repeat(depth)}${"]".repeat(depth)}`,
          ),
        ),
      ),
    ),
    fc.constantFrom(-1, 0, 1).chain((delta) =>
      text(`ping padded to limit${delta >= 0 ? "+" : ""}${delta}`, (id) => {
        const head = `{${envelope(id)},"pad":"`;
        const room = maxFrameBytes + delta - Buffer.byteLength(head) - 2;
        return `${head}${"p".repeat(Math.max(0, room))}"}`;
      }),
    ),
    fc.tuple(fc.nat(), fc.string({ unit: "binary", maxLength: 3 })).chain(([at, junk]) =>
      text(`mutated at ${at}`, (id) => {
        const valid = JSON.stringify({ type: "message.send", id, conversationId: "c", clientMsgId: "m", text: "t" });
        const i = at % (valid.length + 1);
        return valid.slice(0, i) + junk + valid.slice(i + (at % 3));
      }),
    ),
    oddString(100).chain((s) => text("odd text", () => s)),
    fc
      .constantFrom("null", "42", '"ping"', "[]", "{}", "true", '{"type":null}', '{"type":["ping"],"id":1}')
      .chain((s) => text(s, () => s)),
    text("envelope only", (id) => `{${envelope(id)}}`),
    text("duplicate keys", (id) => `{"type":"ping","type":"sync",${envelope(id).replace('"type":"ping",', "")}}`),
    fc.uint8Array({ maxLength: 64 }).map((bytes): FuzzFrame => ({ kind: "binary", bytes })),
    fc.constant<FuzzFrame>({ kind: "binary", bytes: Buffer.from('{"type":"ping","id":1}') }),
    fc
      .constantFrom([0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x7b, 0xff, 0xfe, 0x7d])
      .map((bytes): FuzzFrame => ({ kind: "badutf8", bytes: Uint8Array.from(bytes) })),
  );
}

/** Any frame the fuzzer throws at a session. */
export function wsFrame(known: KnownIds, maxFrameBytes: number): fc.Arbitrary<FuzzFrame> {
  return fc
    .oneof({ weight: 3, arbitrary: requestFrame(known) }, { weight: 1, arbitrary: rawFrame(maxFrameBytes) })
    .map((frame) => Object.assign(frame, { [fc.toStringMethod]: () => describeFrame(frame) }));
}

/** A short description of a frame for a failure report: long values are cut, so a report stays readable. */
export function describeFrame(frame: FuzzFrame): string {
  const cut = (value: unknown) => {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 120)}…(${text.length} chars)` : text;
  };
  if (frame.kind === "request") {
    const params = Object.entries(frame.params).map(([k, v]) => `${cut(k)}: ${cut(v)}`);
    return `request ${cut(frame.type)} id=${cut(frame.id)} {${params.join(", ")}}`;
  }
  if (frame.kind === "text") return `text "${frame.label}" id=${cut(frame.id)}`;
  return `${frame.kind} [${Buffer.from(frame.bytes).toString("hex").slice(0, 80)}]`;
}

/** One HTTP request to throw at the API. */
export interface FuzzHttpRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: "own" | "none" | string;
  extraHeaders: Record<string, string>;
  body: string | undefined;
}

const API_PATHS = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/logout"];
const OTHER_PATHS = [
  "/healthz",
  "/readyz",
  "/api/v1/ws",
  "/api/v1/ops/incidents",
  "/api/v1/auth",
  "/api/v1/",
  "/status.json",
  "/status/subscribers",
  "/",
];

function oddPath(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...API_PATHS) },
    { weight: 2, arbitrary: fc.constantFrom(...OTHER_PATHS) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...API_PATHS, ...OTHER_PATHS),
          fc.constantFrom(
            "/",
            "//",
            "/..",
            "/%2e%2e/",
            "%00",
            "?x=1&x=2",
            "?token=ht_x",
            "#frag",
            ";a=b",
            "/./",
            "%C0%AE",
          ),
          oddString(5),
        )
        .map(([path, suffix, odd]) => `${path}${suffix}${encodeURIComponent(odd.replace(/[\uD800-\uDFFF]/g, "?"))}`),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => `/api/v1/${"a".repeat(n)}`) },
    { weight: 1, arbitrary: fc.constantFrom(...API_PATHS).map((p) => p.toUpperCase()) },
  );
}

/** A register/login/logout body with the same kinds of values the frames get. */
function authBody(known: KnownIds, maxBodyBytes: number): fc.Arbitrary<string> {
  const strongPassword = fc
    .tuple(fc.constantFrom("amber", "cobalt", "meadow", "lantern"), fc.stringMatching(/^[0-9a-f]{12,20}$/))
    .map(([word, hex]) => `${word}-${hex}-harbor-${hex.length}`);
  const value = (field: string, spec: FieldSpec) =>
    fc.oneof(
      { weight: 3, arbitrary: validLooking(field, spec, known) },
      { weight: 2, arbitrary: wrongType },
      { weight: 2, arbitrary: oddString() },
    );
  const str: FieldSpec = { kind: "string", min: 0, max: 1024, options: [] };
  const object = fc.record(
    {
      username: fc.oneof(
        value("username", { ...str, max: 64 }),
        fc.stringMatching(/^[a-z][a-z0-9_]{5,20}$/).map((u) => `fz${u}`),
      ),
      password: fc.oneof(value("password", str), strongPassword),
      displayName: value("displayName", { ...str, max: 256 }),
      deviceName: value("deviceName", { ...str, max: 128 }),
      currentPassword: value("password", str),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(object, fc.dictionary(oddString(2), wrongType, { maxKeys: 2 }))
        .map(([o, extra]) => JSON.stringify({ ...extra, ...o })),
    },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "null", "[]", '{"username":', "\u0000", "username=a&password=b") },
    { weight: 1, arbitrary: fc.constantFrom(1000, 100_000).map((d) => `${"[".repeat(d)}${"]".repeat(d)}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(-1, 0, 1).map((delta) => `{"username":"${"u".repeat(maxBodyBytes + delta - 15)}"}`),
    },
  );
}

/** Any HTTP request the fuzzer throws: the auth routes' bodies, wrong methods, odd paths, huge headers, bad content types. */
export function httpRequest(known: KnownIds, maxBodyBytes: number): fc.Arbitrary<FuzzHttpRequest> {
  return fc.record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant("POST") },
      {
        weight: 2,
        arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "BREW"),
      },
    ),
    path: oddPath(),
    contentType: fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=utf-16",
      "application/jsonx",
      undefined,
    ),
    authorization: fc.constantFrom(
      "own",
      "none",
      "Bearer ",
      "Bearer ht_forged",
      "Basic YTpi",
      `Bearer ${"t".repeat(5000)}`,
    ),
    extraHeaders: fc.oneof(
      { weight: 4, arbitrary: fc.constant<Record<string, string>>({}) },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 100, max: 40_000 }).map((n) => ({ "x-fill": "f".repeat(n) })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Record<string, string>>(
          { origin: "https://evil.example" },
          { origin: "null" },
          { "x-forwarded-for": "127.0.0.1, 10.0.0.1" },
          { "x-forwarded-for": "::ffff:127.0.0.1" },
          { "transfer-encoding": "chunked" },
          { expect: "100-continue" },
        ),
      },
    ),
    body: fc.option(authBody(known, maxBodyBytes), { nil: undefined, freq: 8 }),
  });
}
