/** @module Severity SEV1–SEV4 from measured impact, by a table of rules from config; and what a grade means publicly. */
import type { RuleMeasure, SeverityRule } from "../../config/tower-settings.js";
import {
  COMPONENT_FUNCTIONS,
  type ComponentFunction,
  type ComponentStatus,
  type Impact,
  type MeasuredImpact,
  SEVERITIES,
  type Severity,
} from "./model.js";

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
