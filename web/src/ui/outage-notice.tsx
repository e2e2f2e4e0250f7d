/** @module What the connection banner says when the status page was asked: the known incident (unless the incident banner shows it already), or that none is known, or that it did not answer; and what waits to be sent. */
import { t } from "../i18n/i18n.js";
import type { untold } from "../state/status-summary.js";
import { dayKey, timeOf, whenFull } from "./format.js";

/** Statuspage's incident statuses, in the words the banner uses. */
const PROGRESS = {
  investigating: "outage.investigating",
  identified: "outage.identified",
  monitoring: "outage.monitoring",
} as const;

/** The time alone today ("9:03 PM"), with the date on another day: "since 9:03 PM" must not mean yesterday's. */
function when(iso: string): string {
  if (iso === "" || Number.isNaN(Date.parse(iso))) return "?";
  return dayKey(iso) === dayKey(new Date().toISOString()) ? timeOf(iso) : whenFull(iso);
}

/** What the notice tells: the status page's report, less the incident the banner above already shows. */
export type NoticeReport = ReturnType<typeof untold>;

/** The sentence about the outage itself. */
export function outageSentence(report: NoticeReport): string {
  switch (report.kind) {
    case "incident": {
      const progress = t(PROGRESS[report.status as keyof typeof PROGRESS] ?? "outage.investigating");
      return t("outage.incident", { title: report.title, time: when(report.since), progress });
    }
    case "maintenance":
      return t("outage.maintenance", { title: report.title, until: when(report.until) });
    case "shown":
      return t("outage.shown");
    case "clear":
      return t("outage.clear");
    case "unreachable":
      return t("outage.unreachable");
  }
}

/** The sentence about the messages that wait in the outbox; none when nothing waits. */
export function unsentSentence(unsent: number): string | undefined {
  if (unsent <= 0) return undefined;
  return unsent === 1 ? t("outage.unsentOne") : t("outage.unsentMany", { n: unsent });
}

/** The banner's content while the status page's answer is known. */
export function OutageNotice({ report, unsent }: { report: NoticeReport; unsent: number }) {
  const waiting = unsentSentence(unsent);
  return (
    <>
      <span class="outage-text">
        {outageSentence(report)}
        {waiting ? ` ${waiting}` : ""}
      </span>
      <a href={report.link} target="_blank" rel="noopener noreferrer">
        {t("outage.statusPage")}
      </a>
    </>
  );
}
