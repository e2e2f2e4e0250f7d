/**
 * @module The tower's two structured settings, `severityRules` and `towerComponents`: their
 * shapes, their defaults, and their parsing from JSON text, so a bad table is refused at start
 * with its key path like any other setting and the tower receives parsed values.
 */
import { z } from "zod";
import { COMPONENT_FUNCTIONS, SEVERITIES } from "../protocol/ops-vocabulary.js";

/** The measures a severity rule can test, each a share from 0 to 1. */
export const RULE_MEASURES = ["userShare", "sendFailureShare", "loginFailureShare", "probeFailureShare"] as const;
export type RuleMeasure = (typeof RULE_MEASURES)[number];

/**
 * One row of the severity table. The schemas here are built when the configuration is checked,
 * with the rest of its schema (`configSchema` in config.ts), and dropped after.
 */
function severityRuleSchema() {
  const share = z.number().min(0).max(1);
  return z.strictObject({
    severity: z.enum(SEVERITIES),
    /** The rule applies to incidents on a component with one of these functions (absent: any). */
    functions: z.array(z.enum(COMPONENT_FUNCTIONS)).min(1).optional(),
    /** Any one of these thresholds reached matches (absent or empty: the rule matches on function alone). */
    anyOf: z.partialRecord(z.enum(RULE_MEASURES), share).optional(),
    /** The impact must also have lasted this long: how duration raises a grade. */
    minDurationMs: z.number().int().min(0).optional(),
  });
}
export type SeverityRule = z.infer<ReturnType<typeof severityRuleSchema>>;

/**
 * The default table (docs/config.md shows it): sending and receiving weigh most, then signing
 * in, then files, then everything cosmetic; a wide impact is SEV1 at once, a narrower one
 * becomes SEV1 when it lasts; any measured failure of a real function is at least SEV3, and
 * file probes failing half the time (the blob store down) a partial outage of files. The
 * most severe matching row wins; an incident no row matches (nothing measured yet) is SEV4,
 * or the severity it was declared with.
 */
export const DEFAULT_SEVERITY_RULES: readonly SeverityRule[] = [
  { severity: "SEV1", functions: ["messaging"], anyOf: { userShare: 0.25, sendFailureShare: 0.25 } },
  {
    severity: "SEV1",
    functions: ["messaging"],
    anyOf: { userShare: 0.05, sendFailureShare: 0.05 },
    minDurationMs: 30 * 60_000,
  },
  { severity: "SEV2", functions: ["messaging"], anyOf: { userShare: 0.05, sendFailureShare: 0.05 } },
  { severity: "SEV2", functions: ["messaging"], anyOf: { probeFailureShare: 0.5 } },
  { severity: "SEV2", functions: ["login"], anyOf: { userShare: 0.25, loginFailureShare: 0.25 } },
  {
    severity: "SEV2",
    functions: ["login"],
    anyOf: { userShare: 0.05, loginFailureShare: 0.05 },
    minDurationMs: 30 * 60_000,
  },
  { severity: "SEV2", functions: ["files"], anyOf: { probeFailureShare: 0.5 } },
  {
    severity: "SEV3",
    functions: ["messaging", "login", "files"],
    anyOf: { userShare: 0.01, sendFailureShare: 0.01, loginFailureShare: 0.01, probeFailureShare: 0.01 },
  },
  { severity: "SEV4", functions: ["cosmetic"] },
];

/**
 * A component of the status page as configured: what it is, not how it is doing. `name` is
 * what every language shows unless `names` gives that language its own (`{"ko": "결제"}`).
 */
function componentDefinitionSchema() {
  const componentNameText = z.string().min(1).max(100);
  return z.strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "ids are lowercase letters, digits, _ and -"),
    name: componentNameText,
    names: z.strictObject({ en: componentNameText.optional(), ko: componentNameText.optional() }).optional(),
    description: z.string().max(500).default(""),
    function: z.enum(COMPONENT_FUNCTIONS),
  });
}
export type ComponentDefinition = z.infer<ReturnType<typeof componentDefinitionSchema>>;

/** The default set (`towerComponents` = `default`). */
export const DEFAULT_COMPONENTS: readonly ComponentDefinition[] = [
  { id: "messaging", name: "Messaging", description: "Sending and receiving messages", function: "messaging" },
  { id: "login", name: "Sign-in", description: "Signing in and registering", function: "login" },
  {
    id: "history",
    name: "History and sync",
    description: "Reading past messages and catching up after being offline",
    function: "messaging",
  },
  { id: "files", name: "Files", description: "Sending and opening files", function: "files" },
  {
    id: "web",
    name: "Web client",
    description: "The PC and web app (when it is down, users cannot sign in through it)",
    function: "login",
  },
];

/**
 * A setting written as JSON text (a flag, a variable, a string in the file) or the word
 * `default`, checked against `schema`: its problems carry their path below the key
 * (`severityRules.0.severity`).
 */
function jsonSetting<T extends z.ZodType>(schema: T, defaults: unknown, what: string) {
  return z
    .string()
    .max(100_000)
    .transform((text, ctx): unknown => {
      if (text === "default") return structuredClone(defaults);
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: "custom", message: `must be "default" or a JSON array of ${what}` });
        return z.NEVER;
      }
    })
    .pipe(schema)
    .prefault("default");
}

/** `severityRules`: `default`, or a JSON array of rules. */
export const severityRulesSetting = () =>
  jsonSetting(
    z.array(severityRuleSchema()).min(1),
    DEFAULT_SEVERITY_RULES,
    "rules {severity, functions?, anyOf?, minDurationMs?}",
  );

/** `towerComponents`: `default`, or a JSON array of components with distinct ids. */
export const towerComponentsSetting = () =>
  jsonSetting(
    z
      .array(componentDefinitionSchema())
      .min(1)
      .refine((components) => new Set(components.map((c) => c.id)).size === components.length, {
        message: "component ids must be unique",
      }),
    DEFAULT_COMPONENTS,
    "components {id, name, names?: {en?, ko?}, description?, function}",
  );
