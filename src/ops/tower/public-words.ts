/** @module What the public reads about an incident, in English or Korean: titles and the tower's own updates worded from the components, their statuses and the incident's status, never from alert text. */
import { DEFAULT_COMPONENTS } from "../../config/tower-settings.js";
import type {
  Component,
  ComponentStatus,
  Incident,
  IncidentUpdate,
  MaintenancePhrase,
  MaintenanceUpdate,
  UpdatePhrase,
} from "./model.js";

/** Languages the public words are written in. */
export const PUBLIC_LOCALES = ["en", "ko"] as const;
export type PublicLocale = (typeof PUBLIC_LOCALES)[number];

/** What the public is told about one component: while it fails (by how badly), and once it works again. */
interface ComponentWords {
  degraded_performance: string;
  partial_outage: string;
  major_outage: string;
  under_maintenance: string;
  recovered: string;
}
type Words = Record<PublicLocale, ComponentWords>;

const MAINTENANCE = { en: "Planned maintenance is under way", ko: "계획된 점검을 하고 있습니다" };

/**
 * By what a component does for users (its `function`), so a component an operator adds reads
 * right too; `cosmetic` has no words of its own and falls back to the component's name.
 */
const BY_FUNCTION: Partial<Record<Component["function"], Words>> = {
  messaging: {
    en: {
      degraded_performance: "Some messages are slow to send or failing",
      partial_outage: "Some messages are failing to send",
      major_outage: "Messages cannot be sent",
      under_maintenance: MAINTENANCE.en,
      recovered: "Messages are sending normally again",
    },
    ko: {
      degraded_performance: "일부 메시지 전송이 느리거나 실패하고 있습니다",
      partial_outage: "일부 메시지 전송이 실패하고 있습니다",
      major_outage: "메시지를 보낼 수 없습니다",
      under_maintenance: MAINTENANCE.ko,
      recovered: "메시지가 다시 정상적으로 전송됩니다",
    },
  },
  login: {
    en: {
      degraded_performance: "Signing in is slow or failing for some people",
      partial_outage: "Some people cannot sign in",
      major_outage: "Nobody can sign in",
      under_maintenance: MAINTENANCE.en,
      recovered: "Signing in works normally again",
    },
    ko: {
      degraded_performance: "일부 사용자의 로그인이 느리거나 실패하고 있습니다",
      partial_outage: "일부 사용자가 로그인하지 못하고 있습니다",
      major_outage: "로그인할 수 없습니다",
      under_maintenance: MAINTENANCE.ko,
      recovered: "로그인이 다시 정상적으로 됩니다",
    },
  },
  files: {
    en: {
      degraded_performance: "Files are slow to send and open",
      partial_outage: "Some files are failing to send or open",
      major_outage: "Files cannot be sent or opened",
      under_maintenance: MAINTENANCE.en,
      recovered: "Files send and open normally again",
    },
    ko: {
      degraded_performance: "파일을 보내고 여는 것이 느립니다",
      partial_outage: "일부 파일을 보내거나 열지 못하고 있습니다",
      major_outage: "파일을 보내거나 열 수 없습니다",
      under_maintenance: MAINTENANCE.ko,
      recovered: "파일을 다시 정상적으로 보내고 열 수 있습니다",
    },
  },
};

/** Default components whose function's words would mislead (history is "messaging", but nothing is being sent). */
const BY_DEFAULT_ID: Record<string, Words> = {
  history: {
    en: {
      degraded_performance: "Past messages are slow to load",
      partial_outage: "Some past messages are failing to load",
      major_outage: "Past messages cannot be loaded",
      under_maintenance: MAINTENANCE.en,
      recovered: "Past messages load normally again",
    },
    ko: {
      degraded_performance: "지난 메시지를 불러오는 것이 느립니다",
      partial_outage: "일부 지난 메시지를 불러오지 못하고 있습니다",
      major_outage: "지난 메시지를 불러올 수 없습니다",
      under_maintenance: MAINTENANCE.ko,
      recovered: "지난 메시지를 다시 정상적으로 불러옵니다",
    },
  },
  web: {
    en: {
      degraded_performance: "The web app is slow to open",
      partial_outage: "The web app is not opening for some people",
      major_outage: "The web app is not opening",
      under_maintenance: MAINTENANCE.en,
      recovered: "The web app opens normally again",
    },
    ko: {
      degraded_performance: "웹 앱이 느리게 열립니다",
      partial_outage: "일부 사용자에게 웹 앱이 열리지 않습니다",
      major_outage: "웹 앱이 열리지 않습니다",
      under_maintenance: MAINTENANCE.ko,
      recovered: "웹 앱이 다시 정상적으로 열립니다",
    },
  },
};

/** Any other component, by its name (Korean keeps the name apart with a colon: no particle to guess). */
function namedWords(name: string, locale: PublicLocale): ComponentWords {
  return locale === "ko"
    ? {
        degraded_performance: `${name}: 평소보다 느립니다`,
        partial_outage: `${name}: 일부 사용자에게 문제가 있습니다`,
        major_outage: `${name}: 이용할 수 없습니다`,
        under_maintenance: `${name}: 점검 중입니다`,
        recovered: `${name}: 다시 정상입니다`,
      }
    : {
        degraded_performance: `${name} is slower than usual`,
        partial_outage: `${name} is failing for some people`,
        major_outage: `${name} is not working`,
        under_maintenance: `${name} is under maintenance`,
        recovered: `${name} works normally again`,
      };
}

/** Korean names of the default components, used while a component keeps its default English name. */
const KOREAN_NAMES: Record<string, string> = {
  messaging: "메시지",
  login: "로그인",
  history: "대화 기록과 동기화",
  files: "파일",
  web: "웹 클라이언트",
};

/**
 * A component's name in a language: the one its operator gave for that language (`names`), else
 * the Korean one of a default component not renamed, else its `name`.
 */
export function componentName(component: Pick<Component, "id" | "name" | "names">, locale: PublicLocale): string {
  const own = component.names?.[locale];
  if (own) return own;
  if (locale !== "ko") return component.name;
  const unchanged = DEFAULT_COMPONENTS.some((d) => d.id === component.id && d.name === component.name);
  return unchanged ? (KOREAN_NAMES[component.id] ?? component.name) : component.name;
}

function wordsFor(
  component: Pick<Component, "id" | "name" | "names" | "function">,
  locale: PublicLocale,
): ComponentWords {
  const isDefault = DEFAULT_COMPONENTS.some((d) => d.id === component.id && d.function === component.function);
  const words = (isDefault ? BY_DEFAULT_ID[component.id] : undefined) ?? BY_FUNCTION[component.function];
  return words?.[locale] ?? namedWords(componentName(component, locale), locale);
}

const NOTHING_NAMED = {
  en: { fault: "We are looking into a problem", recovered: "The problem is fixed" },
  ko: { fault: "문제를 조사하고 있습니다", recovered: "문제가 해결되었습니다" },
};

/** Clauses joined into one title; English lowers the first letter of the later clauses that are ours. */
function join(clauses: { text: string; ours: boolean }[], locale: PublicLocale): string {
  if (locale === "ko") return clauses.map((c) => c.text).join(", ");
  return clauses.map((c, i) => (i > 0 && c.ours ? c.text[0]?.toLowerCase() + c.text.slice(1) : c.text)).join("; ");
}

/**
 * What is wrong (or, with `recovered`, what works again) on an incident's components, one clause
 * per component in page order, the same words said once. A component the incident pins as
 * operational says nothing.
 */
function componentClauses(
  incident: Pick<Incident, "components">,
  components: readonly Component[],
  locale: PublicLocale,
  recovered: boolean,
): string {
  const seen = new Set<string>();
  const clauses: { text: string; ours: boolean }[] = [];
  const ordered = [...incident.components].sort(
    (a, b) => components.findIndex((c) => c.id === a.id) - components.findIndex((c) => c.id === b.id),
  );
  for (const affected of ordered) {
    if (affected.status === "operational") continue;
    const component = components.find((c) => c.id === affected.id) ?? {
      id: affected.id,
      name: affected.id,
      function: "cosmetic" as const,
    };
    const words = wordsFor(component, locale);
    const status: Exclude<ComponentStatus, "operational"> = affected.status;
    const text = recovered ? words.recovered : words[status];
    if (seen.has(text)) continue;
    seen.add(text);
    const ours = !text.startsWith(componentName(component, locale));
    clauses.push({ text, ours });
  }
  if (clauses.length === 0) return NOTHING_NAMED[locale][recovered ? "recovered" : "fault"];
  return join(clauses, locale);
}

/**
 * The incident's public title. A declared incident's title is what staff wrote for the public;
 * an alert-opened one is worded here, so the alert's arithmetic never leaves the staff view and
 * the words follow the components' statuses as the grade moves.
 */
export function publicTitle(incident: Incident, components: readonly Component[], locale: PublicLocale): string {
  if (incident.origin !== "alert") return incident.title;
  return componentClauses(incident, components, locale, false);
}

const PHRASES: Record<PublicLocale, Record<Exclude<UpdatePhrase, "resolved">, string>> = {
  en: {
    detected: "Our monitoring caught this problem and we are investigating.",
    returned: "The problem has come back; we are investigating again.",
    recovering: "We are watching to make sure it stays that way.",
  },
  ko: {
    detected: "모니터링에서 이 문제를 발견해 원인을 조사하고 있습니다.",
    returned: "문제가 다시 나타나 다시 조사하고 있습니다.",
    recovering: "이 상태가 유지되는지 지켜보고 있습니다.",
  },
};

/** The words of one of the tower's own updates, for this incident's components. */
export function phraseWords(
  phrase: UpdatePhrase,
  incident: Pick<Incident, "components">,
  components: readonly Component[],
  locale: PublicLocale,
): string {
  if (phrase === "detected" || phrase === "returned") return PHRASES[locale][phrase];
  const recovered = `${componentClauses(incident, components, locale, true)}.`;
  return phrase === "resolved" ? recovered : `${recovered} ${PHRASES[locale].recovering}`;
}

/** An update as the public reads it: the tower's own worded in the language, a person's as written. */
export function publicUpdateBody(
  update: IncidentUpdate,
  incident: Incident,
  components: readonly Component[],
  locale: PublicLocale,
): string {
  return update.phrase ? phraseWords(update.phrase, incident, components, locale) : update.body;
}

/** A copy of the incident with its public title and updates in one language (the rest untouched). */
export function inLanguage(incident: Incident, components: readonly Component[], locale: PublicLocale): Incident {
  return {
    ...incident,
    title: publicTitle(incident, components, locale),
    updates: incident.updates.map((u) => ({ ...u, body: publicUpdateBody(u, incident, components, locale) })),
  };
}

/** The tower's own maintenance updates (the English ones are Statuspage's default words). */
const MAINTENANCE_PHRASES: Record<PublicLocale, Record<MaintenancePhrase, string>> = {
  en: {
    scheduled: "Maintenance is scheduled.",
    in_progress: "Scheduled maintenance is currently in progress. We will provide updates as necessary.",
    completed: "The scheduled maintenance has been completed.",
    ended_early: "The maintenance has ended early.",
  },
  ko: {
    scheduled: "점검이 예정되어 있습니다.",
    in_progress: "예정된 점검을 하고 있습니다. 필요할 때 소식을 더 전하겠습니다.",
    completed: "예정된 점검이 끝났습니다.",
    ended_early: "점검이 예정보다 일찍 끝났습니다.",
  },
};

/** The words of one of the tower's own maintenance updates. */
export function maintenancePhraseWords(phrase: MaintenancePhrase, locale: PublicLocale): string {
  return MAINTENANCE_PHRASES[locale][phrase];
}

/**
 * A maintenance update as the public reads it: the tower's own worded in the language, staff's
 * as written. An update stored before updates carried a phrase is the tower's when its body is
 * exactly one of the tower's English sentences.
 */
export function publicMaintenanceBody(update: MaintenanceUpdate, locale: PublicLocale): string {
  const phrase =
    update.phrase ??
    (Object.entries(MAINTENANCE_PHRASES.en).find(([, words]) => words === update.body)?.[0] as
      | MaintenancePhrase
      | undefined);
  return phrase ? maintenancePhraseWords(phrase, locale) : update.body;
}
