/** @module The status page's words in English and Korean, and which of the two a request reads. */
import type { IncomingMessage } from "node:http";
import type { ComponentStatus, Impact, IncidentStatus, Indicator, MaintenanceStatus } from "../tower/model.js";
import { PUBLIC_LOCALES, type PublicLocale } from "../tower/public-words.js";

/** Languages the status page is written in (those of the public words). */
export const STATUS_LOCALES = PUBLIC_LOCALES;
export type StatusLocale = PublicLocale;

/** Every phrase the page shows, per language. */
export interface StatusLabels {
  lang: StatusLocale;
  /** The language's own name, for the switch between languages ("English", "한국어"). */
  languageName: string;
  /** The switch's label for screen readers. */
  languages: string;
  statusOf: (name: string) => string;
  updated: string;
  current: string;
  noCurrent: string;
  components: string;
  maintenances: string;
  history: string;
  noHistory: string;
  affects: string;
  impact: string;
  postmortem: string;
  started: string;
  resolvedAt: string;
  backToPage: string;
  feed: string;
  subscribe: string;
  /** The zone the page's times are shown in (UTC in English, Korea Standard Time in Korean). */
  timeZone: string;
  notFound: string;
  /** The confirmation page of a status subscription: its question and its button. */
  confirmQuestion: string;
  confirmButton: string;
  maintenanceStatus: Record<MaintenanceStatus, string>;
  /** Overall description when the page is in this language; English uses the tower's own words. */
  indicator: Partial<Record<Indicator, string>>;
  componentStatus: Record<ComponentStatus, string>;
  incidentStatus: Record<IncidentStatus, string>;
  impactName: Record<Impact, string>;
}

const EN: StatusLabels = {
  lang: "en",
  languageName: "English",
  languages: "Language",
  statusOf: (name) => `${name} status`,
  updated: "Updated",
  current: "Current incidents",
  noCurrent: "No incidents right now.",
  components: "Components",
  maintenances: "Planned maintenance",
  history: "Past incidents",
  noHistory: "No incidents in this period.",
  affects: "Affects",
  impact: "Impact",
  postmortem: "Postmortem",
  started: "Started",
  resolvedAt: "Resolved",
  backToPage: "All systems",
  feed: "Atom feed",
  subscribe: "Webhook subscriptions",
  timeZone: "UTC",
  notFound: "There is no such incident on this page.",
  confirmQuestion: "Send this page's incident notifications to the webhook that received this link?",
  confirmButton: "Confirm the subscription",
  maintenanceStatus: {
    scheduled: "Scheduled",
    in_progress: "In progress",
    verifying: "Verifying",
    completed: "Completed",
  },
  indicator: {},
  componentStatus: {
    operational: "Operational",
    degraded_performance: "Degraded performance",
    partial_outage: "Partial outage",
    major_outage: "Major outage",
    under_maintenance: "Under maintenance",
  },
  incidentStatus: {
    investigating: "Investigating",
    identified: "Identified",
    monitoring: "Monitoring",
    resolved: "Resolved",
  },
  impactName: { none: "None", minor: "Minor", major: "Major", critical: "Critical" },
};

const KO: StatusLabels = {
  lang: "ko",
  languageName: "한국어",
  languages: "언어",
  statusOf: (name) => `${name} 서비스 상태`,
  updated: "업데이트",
  current: "진행 중인 장애",
  noCurrent: "지금은 장애가 없습니다.",
  components: "구성 요소",
  maintenances: "예정된 점검",
  history: "지난 장애",
  noHistory: "이 기간에는 장애가 없었습니다.",
  affects: "영향 범위",
  impact: "영향도",
  postmortem: "장애 보고서",
  started: "시작",
  resolvedAt: "해결",
  backToPage: "전체 상태",
  feed: "Atom 피드",
  subscribe: "웹훅 구독",
  timeZone: "한국 시간",
  notFound: "이 페이지에 그런 장애가 없습니다.",
  confirmQuestion: "이 링크를 받은 웹훅으로 이 페이지의 장애 알림을 보낼까요?",
  confirmButton: "구독 확인",
  maintenanceStatus: { scheduled: "예정", in_progress: "진행 중", verifying: "확인 중", completed: "완료" },
  indicator: {
    none: "모든 시스템 정상",
    minor: "일부 기능 저하",
    major: "부분 장애",
    critical: "주요 장애",
    maintenance: "점검 중",
  },
  componentStatus: {
    operational: "정상",
    degraded_performance: "성능 저하",
    partial_outage: "부분 장애",
    major_outage: "전체 장애",
    under_maintenance: "점검 중",
  },
  // The same words as the web client's banner and the staff console (web/src/i18n, web/src/console).
  incidentStatus: { investigating: "조사 중", identified: "원인 확인", monitoring: "모니터링 중", resolved: "해결됨" },
  impactName: { none: "없음", minor: "경미", major: "주요", critical: "심각" },
};

/** The phrases of a language. */
export function labelsFor(locale: StatusLocale): StatusLabels {
  return locale === "ko" ? KO : EN;
}

function isLocale(value: string | null | undefined): value is StatusLocale {
  return (STATUS_LOCALES as readonly string[]).includes(value ?? "");
}

/**
 * The first language of an `Accept-Language` header the page speaks, by preference (`q`), or
 * undefined: `ko-KR,ko;q=0.9,en;q=0.8` → `ko`. A range with `q=0` is refused, not chosen.
 */
export function acceptedLocale(header: string | undefined): StatusLocale | undefined {
  if (!header) return undefined;
  const ranges = header
    .split(",")
    .map((part, order) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { primary: tag.trim().toLowerCase().split("-")[0], weight: Number.isFinite(weight) ? weight : 0, order };
    })
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.order - b.order);
  return ranges.map((r) => r.primary).find(isLocale);
}

/**
 * The language a status request reads: `?lang=en|ko` (the page's own switch) first, then the
 * browser's `Accept-Language`, then the configured `statusLocale`. Responses that depend on it
 * say `Vary: Accept-Language`.
 */
export function requestLocale(req: IncomingMessage, fallback: StatusLocale): StatusLocale {
  const query = new URL(req.url ?? "/", "http://status.invalid").searchParams.get("lang");
  if (isLocale(query)) return query;
  const header = req.headers["accept-language"];
  return acceptedLocale(Array.isArray(header) ? header.join(",") : header) ?? fallback;
}
