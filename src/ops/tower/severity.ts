/** @module Severity SEV1–SEV4 from measured impact, by a table of rules from config; and what a grade means publicly. */
import { z } from "zod";
import {
  COMPONENT_FUNCTIONS,
  type ComponentFunction,
  type ComponentStatus,
  type Impact,
  type MeasuredImpact,
  SEVERITIES,
  type Severity,
} from "./model.js";

/** The measures a rule can test, each a share from 0 to 1. */
export const RULE_MEASURES = ["userShare", "sendFailureShare", "loginFailureShare", "probeFailureShare"] as const;
export type RuleMeasure = (typeof RULE_MEASURES)[number];

const share = z.number().min(0).max(1);

/** One row of the severity table. */
export const severityRuleSchema = z.strictObject({
  severity: z.enum(SEVERITIES),
  /** The rule applies to incidents on a component with one of these functions (absent: any). */
  functions: z.array(z.enum(COMPONENT_FUNCTIONS)).min(1).optional(),
  /** Any one of these thresholds reached matches (absent or empty: the rule matches on function alone). */
  anyOf: z.partialRecord(z.enum(RULE_MEASURES), share).optional(),
  /** The impact must also have lasted this long: how duration raises a grade. */
  minDurationMs: z.number().int().min(0).optional(),
});
export type SeverityRule = z.infer<typeof severityRuleSchema>;

/**
 * The default table (docs/config.md shows it): sending and receiving weigh most, then signing
 * in, then files, then everything cosmetic; a wide impact is SEV1 at once, a narrower one
 * becomes SEV1 when it lasts; any measured failure of a real function is at least SEV3. The
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
  {
    severity: "SEV3",
    functions: ["messaging", "login", "files"],
    anyOf: { userShare: 0.01, sendFailureShare: 0.01, loginFailureShare: 0.01, probeFailureShare: 0.01 },
  },
  { severity: "SEV4", functions: ["cosmetic"] },
];

/** Parse the `severityRules` setting: `default`, or a JSON array of rules. */
export function parseSeverityRules(value: string): SeverityRule[] {
  if (value === "default") return [...DEFAULT_SEVERITY_RULES];
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new Error('severityRules must be "default" or a JSON array of rules');
  }
  const parsed = z.array(severityRuleSchema).min(1).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`severityRules[${issue?.path.join(".")}]: ${issue?.message}`);
  }
  return parsed.data;
}

/** 0 for SEV1 … 3 for SEV4: lower is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The worse of two grades. */
export function worse(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

/** The shares a rule tests, from an incident's measured impact. */
export function measures(measured: MeasuredImpact): Record<RuleMeasure, number> {
  const logins = measured.loginsAttempted ?? 0;
  return {
    userShare: measured.userShare,
    sendFailureShare: measured.sendFailureShare,
    loginFailureShare: logins > 0 ? (measured.loginsFailed ?? 0) / logins : 0,
    probeFailureShare: measured.probesRun > 0 ? measured.probesFailed / measured.probesRun : 0,
  };
}

/** Whether one rule matches an incident on components with these functions. */
export function ruleMatches(rule: SeverityRule, functions: ReadonlySet<ComponentFunction>, m: MeasuredImpact): boolean {
  if (rule.functions && !rule.functions.some((f) => functions.has(f))) return false;
  if (rule.minDurationMs !== undefined && m.durationMs < rule.minDurationMs) return false;
  const thresholds = Object.entries(rule.anyOf ?? {}) as [RuleMeasure, number][];
  if (thresholds.length === 0) return true;
  const shares = measures(m);
  return thresholds.some(([measure, min]) => shares[measure] >= min);
}

/**
 * The grade the rules give: the most severe matching rule, SEV4 when none matches. An incident
 * on no component is weighed as if it touched every function: nobody said what broke, so the
 * measured impact alone decides.
 */
export function gradeSeverity(
  rules: readonly SeverityRule[],
  functions: ReadonlySet<ComponentFunction>,
  measured: MeasuredImpact,
): { severity: Severity; rule?: SeverityRule } {
  const fns = functions.size > 0 ? functions : new Set(COMPONENT_FUNCTIONS);
  let best: { severity: Severity; rule?: SeverityRule } = { severity: "SEV4" };
  for (const rule of rules) {
    if (ruleMatches(rule, fns, measured) && severityRank(rule.severity) < severityRank(best.severity)) {
      best = { severity: rule.severity, rule };
    }
  }
  return best;
}

/** Statuspage's public impact of a grade. */
export function impactOf(severity: Severity): Impact {
  return ({ SEV1: "critical", SEV2: "major", SEV3: "minor", SEV4: "minor" } as const)[severity];
}

/** The status an incident of this grade gives its components unless staff set one. */
export function componentStatusOf(severity: Severity): ComponentStatus {
  return (
    {
      SEV1: "major_outage",
      SEV2: "partial_outage",
      SEV3: "degraded_performance",
      SEV4: "degraded_performance",
    } as const
  )[severity];
}

/** A short account of why a grade was given, for the timeline. */
export function describeGrade(severity: Severity, measured: MeasuredImpact): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const m = measures(measured);
  return (
    `${severity} from measured impact: ${pct(m.sendFailureShare)} of ${measured.sendsAttempted} sends failed, ` +
    `${measured.usersAffected} users affected (${pct(m.userShare)} of active), ` +
    `${measured.probesFailed}/${measured.probesRun} probes failed, ${Math.round(measured.durationMs / 1000)} s`
  );
}
