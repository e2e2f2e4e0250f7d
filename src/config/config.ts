/** @module The one configuration schema: defaults, validation, and loading from flags, environment and file. */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_WEB_SETTINGS } from "../protocol/web-settings.js";
import { isAddressOrRange, proxyEntries } from "./address-list.js";
import { isNatsUrl } from "./nats-url.js";
import { severityRulesSetting, towerComponentsSetting } from "./tower-settings.js";

/**
 * Every setting, with its default. Keys are flat so that each has one obvious flag
 * (`--max-text-length`), environment variable (`HAETAE_MAX_TEXT_LENGTH`) and file key
 * (`maxTextLength`). `docs/config.md` lists them; a test keeps the two in step.
 *
 * Built when asked for and dropped after use: the schema is some hundreds of zod objects, about
 * 1 MB of heap a running node has no use for once its configuration is checked.
 */
export function configSchema() {
  const int = (min: number, max: number) => z.coerce.number().pipe(z.int().min(min).max(max));

  /** `true`/`false` from a file, a flag or the environment (z.coerce.boolean would take "false" as true). */
  const bool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
  /** Comma-separated http(s) URLs, or empty. */
  const urlList = z
    .string()
    .max(10_000)
    .refine(
      (v) =>
        v
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "")
          .every((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol)),
      { message: "must be comma-separated http:// or https:// URLs" },
    );
  /** An http(s) URL, or empty. */
  const httpUrlOrEmpty = z
    .string()
    .max(2000)
    .refine((v) => v === "" || (URL.canParse(v) && /^https?:$/.test(new URL(v).protocol)), {
      message: "must be an http:// or https:// URL, or empty",
    });
  /** An SLO target: the share of good events, below 1 (no budget at all cannot burn); 0 turns the SLO off. */
  const ratio = z.coerce.number().pipe(z.number().min(0).lt(1));

  return z.strictObject({
    port: int(0, 65535).default(8080),
    host: z.string().min(1).default("127.0.0.1"),
    listenBacklog: int(1, 1_000_000).default(4096),
    data: z.string().min(1).default("./data"),
    store: z
      .string()
      .refine((v) => v === "sqlite" || v.startsWith("postgres://") || v.startsWith("postgresql://"), {
        message: 'must be "sqlite" or a postgres:// URL',
      })
      .default("sqlite"),
    bus: z
      .string()
      .refine((v) => v === "memory" || isNatsUrl(v), {
        message: 'must be "memory" or a nats://host:port URL (several servers comma-separated)',
      })
      .default("memory"),
    maxFrameBytes: int(1024, 16 * 1024 * 1024).default(64 * 1024),
    maxHttpBodyBytes: int(1024, 16 * 1024 * 1024).default(64 * 1024),
    maxTextLength: int(1, 100_000).default(4000),
    maxGroupMembers: int(2, 100_000).default(1000),
    requestsPerSecond: int(1, 100_000).default(50),
    requestBurst: int(1, 100_000).default(200),
    sendQueueBytes: int(64 * 1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
    syncPageSize: int(1, 5000).default(500),
    historyPageSize: int(1, 1000).default(100),
    conversationPageSize: int(1, 10_000).default(100),
    conversationPageMax: int(1, 10_000).default(500),
    invitationsPerHour: int(1, 1_000_000).default(60),
    invitationTtlMs: int(60_000, 365 * 24 * 3600 * 1000).default(7 * 24 * 3600 * 1000),
    groupLinksPerGroup: int(1, 10_000).default(100),
    deleteWindowMs: int(0, 365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
    tokenTtlMs: int(60_000, 3650 * 24 * 3600 * 1000).default(30 * 24 * 3600 * 1000),
    // A WebSocket ticket travels in a URL (proxy logs): it lives seconds and works once.
    wsTicketTtlMs: int(1000, 30_000).default(30_000),
    publicUrl: httpUrlOrEmpty.default(""),
    scryptLogN: int(10, 20).default(15),
    minPasswordLength: int(6, 128).default(8),
    // zxcvbn's score (0 too guessable … 4 very unguessable) a new password must reach (src/chat/password-strength.ts).
    passwordMinScore: int(0, 4).default(3),
    passwordResetTtlMs: int(60_000, 7 * 24 * 3600 * 1000).default(30 * 60_000),
    presenceSubscriptionLimit: int(1, 10_000).default(500),
    shutdownTimeoutMs: int(100, 600_000).default(10_000),
    heartbeatMs: int(100, 600_000).default(20_000),
    connectionsPerSecond: int(1, 1_000_000).default(500),
    connectionBurst: int(1, 1_000_000).default(1000),
    connectionRetryMaxMs: int(100, 600_000).default(30_000),
    connectionMaxQueuedReads: int(1, 1_000_000).default(200),
    syncShedQueuedReads: int(1, 1_000_000).default(100),
    loginsPerMinutePerIp: int(1, 1_000_000).default(30),
    // Per account and per device key, in this node's memory (src/guard/login-backoff.ts, docs/security.md).
    loginFailuresPerAccount: int(1, 1_000_000).default(10),
    loginFailuresPerKey: int(1, 1_000_000).default(10),
    loginFailureWindowMs: int(1000, 7 * 24 * 3600 * 1000).default(15 * 60_000),
    loginBackoffBaseMs: int(1, 3_600_000).default(1000),
    loginBackoffMaxMs: int(1, 24 * 3600 * 1000).default(15 * 60_000),
    deviceKeyTtlMs: int(60_000, 3650 * 24 * 3600 * 1000).default(90 * 24 * 3600 * 1000),
    trustedProxies: z
      .string()
      .max(10_000)
      .refine((v) => proxyEntries(v).every(isAddressOrRange), {
        message: "must be comma-separated IP addresses or CIDR ranges (10.0.0.0/8, ::1)",
      })
      .default(""),
    // Shared by every connection of one user / one address on this node (src/guard/client-limits.ts).
    userRequestsPerSecond: int(1, 1_000_000).default(100),
    userRequestBurst: int(1, 1_000_000).default(400),
    userSendsPerSecond: int(1, 1_000_000).default(50),
    userSendBurst: int(1, 1_000_000).default(200),
    ipRequestsPerSecond: int(1, 10_000_000).default(20_000),
    ipRequestBurst: int(1, 10_000_000).default(40_000),
    ipConnectionsPerSecond: int(1, 1_000_000).default(1000),
    ipConnectionBurst: int(1, 1_000_000).default(2000),
    maxPendingWrites: int(100, 10_000_000).default(20_000),
    // The wait a send may have from arrival to commit before sends are refused (src/guard/send-admission.ts); 0: off.
    sendQueueTargetMs: int(0, 60_000).default(250),
    storeReadConnections: int(1, 1000).default(10),
    loadSampleMs: int(10, 60_000).default(250),
    degradeLagMs: int(1, 60_000).default(100),
    degradePendingWrites: int(1, 10_000_000).default(2000),
    degradeRssMb: int(64, 1_000_000).default(1536),
    recoverSamples: int(1, 10_000).default(8),
    degradationFloor: int(0, 4).default(0),
    adminUsernames: z.string().max(10_000).default(""),
    tower: z.enum(["on", "off"]).default("on"),
    towerLead: z.enum(["local", "lease"]).default("local"),
    towerLeaseTtlMs: int(1000, 600_000).default(6000),
    alertToken: z.string().max(1000).default(""),
    severityRules: severityRulesSetting(),
    towerComponents: towerComponentsSetting(),
    resolveQuietMs: int(0, 7 * 24 * 3600 * 1000).default(2 * 60_000),
    towerTickMs: int(10, 600_000).default(5000),
    impactLookbackMs: int(0, 24 * 3600 * 1000).default(5 * 60_000),
    alertGroupWindowMs: int(0, 24 * 3600 * 1000).default(5 * 60_000),
    probeIntervalMs: int(0, 3_600_000)
      .refine((v) => v === 0 || v >= 50, { message: "must be 0 (probes off) or at least 50" })
      .default(10_000),
    probeTimeoutMs: int(50, 600_000).default(5000),
    probeUsernamePrefix: z
      .string()
      .regex(/^([a-z0-9][a-z0-9_]{2,29})?$/, { message: "3–30 characters a–z, 0–9 and _, or empty" })
      .default(""),
    probePassword: z.string().max(1024).default(""),
    sloSendTarget: ratio.default(0.999),
    sloDeliveryTarget: ratio.default(0.99),
    sloDeliveryThresholdMs: int(1, 600_000).default(1000),
    sloLoginTarget: ratio.default(0.999),
    sloHistoryTarget: ratio.default(0.999),
    sloUploadTarget: ratio.default(0.999),
    sloDownloadTarget: ratio.default(0.999),
    sloWindowScale: z.coerce.number().pipe(z.number().positive().max(1000)).default(1),
    sloEvalMs: int(10, 3_600_000).default(5000),
    sloMinEvents: int(0, 1_000_000).default(10),
    sloRecoveryWindowMs: int(0, 24 * 3600 * 1000).default(60_000),
    // 0: no status listener of the node's own; a watcher (`haetae serve` supervised, `haetae tower`)
    // serves its status page on 8081 when this is 0 (src/cli.ts, docs/ops.md).
    statusPort: int(0, 65535).default(0),
    // The watcher: the chat node in a child process, the tower in the watcher (docs/ops.md).
    supervise: bool.default(true),
    restartBackoffMs: int(10, 600_000).default(1000),
    restartBackoffMaxMs: int(10, 3_600_000).default(30_000),
    crashLoopDeaths: int(1, 1000).default(5),
    crashLoopWindowMs: int(1000, 24 * 3600 * 1000).default(120_000),
    watchIntervalMs: int(50, 600_000).default(2000),
    watchFailures: int(1, 1000).default(3),
    // `haetae tower`: the nodes it watches from outside (their base URLs).
    watchUrls: urlList.default(""),
    statusLocale: z.enum(["en", "ko"]).default("en"),
    // What the web client asks when it cannot reach this server (src/protocol/web-settings.ts): a
    // status page on another host or port answers when this one does not.
    statusPageUrl: httpUrlOrEmpty.default(DEFAULT_WEB_SETTINGS.statusPageUrl),
    offlineStatusAfterMs: int(100, 600_000).default(DEFAULT_WEB_SETTINGS.statusAfterMs),
    offlineStatusEveryMs: int(500, 3_600_000).default(DEFAULT_WEB_SETTINGS.statusEveryMs),
    staffWebhookUrls: urlList.default(""),
    staffSlackWebhookUrls: urlList.default(""),
    webhookSecret: z.string().max(1000).default(""),
    webhookMaxAttempts: int(1, 100).default(6),
    webhookRetryBaseMs: int(10, 3_600_000).default(1000),
    webhookTimeoutMs: int(100, 120_000).default(5000),
    webhookQueueLimit: int(1, 1_000_000).default(1000),
    webhookConcurrency: int(1, 10_000).default(16),
    webhookPendingLimit: int(1, 10_000_000).default(100_000),
    subscriberLimit: int(0, 10_000_000).default(10_000),
    subscriberPrivateUrls: bool.default(false),
    subscriberPendingLimit: int(1, 1_000_000).default(1000),
    subscriberConfirmTtlMs: int(1000, 30 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
    subscriberConfirmIntervalMs: int(0, 30 * 24 * 3600 * 1000).default(3600 * 1000),
    subscriberConfirmsPerHostPerHour: int(1, 1_000_000).default(30),
    subscriptionsPerHourPerIp: int(1, 1_000_000).default(10),
    subscriptionsPerMinute: int(1, 1_000_000).default(60),
    staffChatConversation: z.string().max(200).default("Incidents"),
    // Files (src/chat/actions/files.ts, docs/protocol.md#files).
    maxFileBytes: int(1, Number.MAX_SAFE_INTEGER).default(2 * 1024 * 1024 * 1024),
    fileQuotaBytes: int(1, Number.MAX_SAFE_INTEGER).default(20 * 1024 * 1024 * 1024),
    uploadsPerMinute: int(1, 1_000_000).default(120),
    maxImagePixels: int(1, 1_000_000_000).default(100_000_000),
    unattachedFileTtlMs: int(0, 365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
    fileSweepMs: int(0, 24 * 3600 * 1000).default(60_000),
    // Empty: files on the local disk under the data folder; an http(s) URL: an S3-compatible bucket.
    s3Endpoint: httpUrlOrEmpty.default(""),
    s3Bucket: z.string().max(255).default("haetae"),
    s3Region: z.string().min(1).max(64).default("us-east-1"),
    s3AccessKeyId: z.string().max(1000).default(""),
    s3SecretAccessKey: z.string().max(1000).default(""),
    s3Prefix: z.string().max(500).default(""),
    // Link previews (src/chat/link-preview/, docs/protocol.md#link-previews).
    linkPreviews: bool.default(true),
    linkPreviewTimeoutMs: int(100, 120_000).default(5000),
    linkPreviewMaxBytes: int(1024, 16 * 1024 * 1024).default(512 * 1024),
    linkPreviewImageMaxBytes: int(1024, 64 * 1024 * 1024).default(5 * 1024 * 1024),
    linkPreviewTtlMs: int(1000, 365 * 24 * 3600 * 1000).default(24 * 3600 * 1000),
    linkPreviewFailureTtlMs: int(1000, 365 * 24 * 3600 * 1000).default(10 * 60_000),
    linkPreviewConcurrency: int(1, 1000).default(4),
    linkPreviewQueueLimit: int(1, 1_000_000).default(1000),
    // For tests only: addresses a preview fetch may reach although they are private or loopback.
    linkPreviewAllowPrivate: z
      .string()
      .max(10_000)
      .refine((v) => proxyEntries(v).every(isAddressOrRange), {
        message: "must be comma-separated IP addresses or CIDR ranges (127.0.0.1/32, ::1)",
      })
      .default(""),
    // Web Push (src/gateway/push-dispatcher.ts, docs/notifications.md). Empty keys: a pair made once
    // and kept in the data folder (vapid.json, 0600) on SQLite, or in the shared store's
    // server_keys on PostgreSQL, so every node of a cluster signs with the same pair.
    vapidPublicKey: z
      .string()
      .regex(/^([A-Za-z0-9_-]{86,88})?$/, { message: "must be a base64url P-256 public key (65 bytes), or empty" })
      .default(""),
    vapidPrivateKey: z
      .string()
      .regex(/^([A-Za-z0-9_-]{42,44})?$/, { message: "must be a base64url P-256 private key (32 bytes), or empty" })
      .default(""),
    vapidSubject: z
      .string()
      .max(2000)
      .refine((v) => v === "" || /^mailto:.+/.test(v) || (URL.canParse(v) && new URL(v).protocol === "https:"), {
        message: "must be a mailto: or https:// URL, or empty",
      })
      .default(""),
    pushQueueLimit: int(1, 1_000_000).default(1000),
    pushConcurrency: int(1, 10_000).default(16),
    pushTimeoutMs: int(100, 120_000).default(5000),
    // A push the push service could not take for now (5xx, 429, no answer) is tried again this many
    // times, after a backoff doubling from pushRetryBaseMs up to pushRetryMaxMs (or its Retry-After,
    // given up when that is longer than pushRetryMaxMs).
    pushRetries: int(0, 10).default(3),
    pushRetryBaseMs: int(10, 600_000).default(2000),
    pushRetryMaxMs: int(10, 3_600_000).default(60_000),
    // A push skipped because the device was attended is kept this long (at most pushHoldLimit of
    // them), in case the news that the device stopped attending before the message was still on
    // the bus (it was on another node); 0 keeps none.
    pushHoldMs: int(0, 60_000).default(5000),
    pushHoldLimit: int(1, 1_000_000).default(10_000),
    // Tests and closed networks only: lets a push endpoint be http:// or a private or loopback address.
    pushPrivateEndpoints: bool.default(false),
  });
}

/** The validated, frozen configuration every part receives its slice of. */
export type Config = Readonly<z.output<ReturnType<typeof configSchema>>>;
export type ConfigKey = keyof Config;

/** Environment variable names; the core ones are named in the design, the rest follow the same rule. */
export function envName(key: ConfigKey): string {
  if (key === "data") return "HAETAE_DATA_DIR";
  return `HAETAE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The command-line flag of a key: `maxTextLength` → `--max-text-length`. */
export function flagName(key: ConfigKey): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every key, in the schema's order (the order of docs/config.md). */
export function configKeys(schema = configSchema()): ConfigKey[] {
  return Object.keys(schema.shape) as ConfigKey[];
}

/** A configuration problem, reported with the key path and where the value came from. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validate a partial configuration (defaults fill the rest) and freeze it. */
export function makeConfig(
  input: Record<string, unknown> = {},
  sources: Record<string, string> = {},
  schema = configSchema(),
): Config {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const from = sources[key] ? ` (from ${sources[key]})` : "";
      if (issue.code === "unrecognized_keys") {
        // A key unknown inside a structured setting (`towerComponents.0.names.ja`) is named with its place.
        const place = issue.path.length > 0 ? `${issue.path.join(".")}${from}: ` : "";
        return `${place}unknown key(s) ${issue.keys.join(", ")}`;
      }
      return `${issue.path.join(".") || "(root)"}${from}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  return deepFreeze(parsed.data);
}

/** Freeze a value and everything inside it: the tower's tables are arrays of objects, not strings. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Load the configuration: flags over environment over file (`--config path.json` or
 * `HAETAE_CONFIG`). Unknown flags, unknown `HAETAE_*` variables and unknown file keys are
 * rejected rather than ignored, so a typo never silently runs with a default.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config {
  const schema = configSchema();
  const keys = configKeys(schema);
  const options: Record<string, { type: "string" }> = { config: { type: "string" } };
  for (const key of keys) options[flagName(key)] = { type: "string" };
  let flags: Record<string, string | undefined>;
  try {
    flags = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }

  const input: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const file = flags.config ?? env.HAETAE_CONFIG;
  if (file) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`config file ${file} must hold a JSON object`);
    }
    for (const [key, value] of Object.entries(raw)) {
      input[key] = value;
      sources[key] = `file ${file}`;
    }
  }
  const known = new Set(keys.map(envName));
  known.add("HAETAE_CONFIG");
  const unknownEnv = Object.keys(env).filter((name) => name.startsWith("HAETAE_") && !known.has(name));
  if (unknownEnv.length > 0) throw new ConfigError(`unknown environment variable(s): ${unknownEnv.join(", ")}`);
  for (const key of keys) {
    const value = env[envName(key)];
    if (value !== undefined) {
      input[key] = value;
      sources[key] = `env ${envName(key)}`;
    }
  }
  for (const key of keys) {
    const value = flags[flagName(key)];
    if (value !== undefined) {
      input[key] = value;
      sources[key] = `flag --${flagName(key)}`;
    }
  }
  for (const [key, value] of Object.entries(input)) {
    // z.coerce.number("") is 0: an empty HAETAE_PORT must be an error, not a random port.
    if (typeof value === "string" && value.trim() === "") {
      throw new ConfigError(`${key} (from ${sources[key]}): must not be blank`);
    }
  }
  return makeConfig(input, sources, schema);
}
