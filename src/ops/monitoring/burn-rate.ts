/** @module The multi-window, multi-burn-rate alert policy of the SRE workbook's "Alerting on SLOs", as data and pure functions. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The windows the policy reads, at their real length; `sloWindowScale` shrinks them all alike. */
export const WINDOWS = {
  "5m": 5 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "6h": 6 * HOUR,
  "3d": 72 * HOUR,
} as const;
export type WindowName = keyof typeof WINDOWS;
export const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[];

/** Where the error budget left is measured: the longest window kept. */
export const BUDGET_WINDOW: WindowName = "3d";

export type Urgency = "page" | "ticket";

/**
 * One alert condition: the burn rate is at least `burnRate` over the long window AND over the
 * short one. The long window makes the alert significant (enough budget is gone); the short one
 * makes it reset within minutes of the fix instead of hours.
 */
export interface BurnRule {
  urgency: Urgency;
  long: WindowName;
  short: WindowName;
  burnRate: number;
}

/**
 * The workbook's recommended policy: page at 14.4× over 1 h and 5 min (2% of a 30-day budget in
 * an hour), page at 6× over 6 h and 30 min (5% in six hours), ticket at 1× over 3 days and 6 h.
 */
export const BURN_RULES: readonly BurnRule[] = [
  { urgency: "page", long: "1h", short: "5m", burnRate: 14.4 },
  { urgency: "page", long: "6h", short: "30m", burnRate: 6 },
  { urgency: "ticket", long: "3d", short: "6h", burnRate: 1 },
];

/** Good and bad events of one window. */
export interface Counts {
  good: number;
  bad: number;
}

/**
 * How fast the error budget burns: the window's error ratio over the ratio the SLO allows.
 * 1 spends exactly the budget over the SLO period; a window without events burns nothing.
 */
export function burnRate(counts: Counts, target: number): number {
  const total = counts.good + counts.bad;
  if (total === 0) return 0;
  return counts.bad / total / (1 - target);
}

/**
 * `rate >= threshold`, forgiving the last bits of binary rounding: 144 bad of 10,000 against a
 * 99.9% target is 14.4× exactly, though 0.0144 / (1 - 0.999) computes to 14.399999999999986.
 */
export function reaches(rate: number, threshold: number): boolean {
  return rate >= threshold * (1 - 1e-9);
}

/** The verdict for one urgency: firing or not, and the first rule that fires. */
export interface UrgencyVerdict {
  firing: boolean;
  rule?: BurnRule;
}

/**
 * Apply the rules to one SLO's burn rates. A rule whose long window holds fewer than
 * `minEvents` events does not fire: right after a start, one failed probe out of one would
 * otherwise be a 1000× burn and wake someone for nothing.
 */
export function evaluateRules(
  rates: Record<WindowName, number>,
  events: Record<WindowName, number>,
  minEvents: number,
  rules: readonly BurnRule[] = BURN_RULES,
): Record<Urgency, UrgencyVerdict> {
  const verdict: Record<Urgency, UrgencyVerdict> = { page: { firing: false }, ticket: { firing: false } };
  for (const rule of rules) {
    if (verdict[rule.urgency].firing) continue;
    if (events[rule.long] < minEvents) continue;
    if (reaches(rates[rule.long], rule.burnRate) && reaches(rates[rule.short], rule.burnRate)) {
      verdict[rule.urgency] = { firing: true, rule };
    }
  }
  return verdict;
}

/** The lowest rate at which any rule of this urgency fires: below it, nothing of that urgency would. */
export function lowestRate(urgency: Urgency, rules: readonly BurnRule[] = BURN_RULES): number {
  return Math.min(...rules.filter((rule) => rule.urgency === urgency).map((rule) => rule.burnRate));
}

/**
 * Whether a firing page has recovered: the recovery window (the last `sloRecoveryWindowMs`, e.g.
 * one minute of probes) holds events and burns below `rate` (the urgency's lowest). The
 * workbook's reset waits for the rule's own short window, 30 min for the 6 h rule: a two-minute
 * fault would keep the page (and the public page) red for half an hour after the fix. A window
 * without events says nothing and never counts as recovered.
 */
export function recovered(recovery: Counts, target: number, rate: number): boolean {
  return recovery.good + recovery.bad > 0 && !reaches(burnRate(recovery, target), rate);
}

/** Whether the recovery window burns at `rate` again: the fault is current, not remembered. */
export function burningNow(recovery: Counts, target: number, rate: number): boolean {
  return recovery.good + recovery.bad > 0 && reaches(burnRate(recovery, target), rate);
}
