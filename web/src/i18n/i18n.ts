/** @module The UI language: picked from the browser, switchable, remembered; `t()` looks text up with {placeholders}. */
import { Observable } from "../state/observable.js";
import { en, type TextKey } from "./en.js";
import { ko } from "./ko.js";

export type Lang = "en" | "ko";
export type { TextKey };

const TEXTS: Record<Lang, Record<TextKey, string>> = { en, ko };
const KEY = "haetae.lang";

/** The browser's first preference that we speak, or English. */
function initialLang(): Lang {
  const saved = localStorage.getItem(KEY);
  if (saved === "en" || saved === "ko") return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    if (tag.toLowerCase().startsWith("ko")) return "ko";
    if (tag.toLowerCase().startsWith("en")) return "en";
  }
  return "en";
}

class I18n extends Observable {
  lang: Lang = initialLang();

  set(lang: Lang): void {
    this.lang = lang;
    localStorage.setItem(KEY, lang);
    document.documentElement.lang = lang;
    this.changed();
  }

  /** The text for `key` with `{name}` placeholders filled. */
  t(key: TextKey, params: Record<string, string | number> = {}): string {
    return TEXTS[this.lang][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      params[name] !== undefined ? String(params[name]) : whole,
    );
  }

  /** Whether `key` is a known text key (for error codes coming from the server). */
  has(key: string): key is TextKey {
    return Object.hasOwn(en, key);
  }
}

/** The one language setting of the page. */
export const i18n = new I18n();
document.documentElement.lang = i18n.lang;

/** Shorthand for `i18n.t`. */
export const t = (key: TextKey, params?: Record<string, string | number>): string => i18n.t(key, params);

/** The text for an error code: translated when known, else the server's words. */
export function errorText(code: string, detail?: string): string {
  const key = `error.${code}`;
  return i18n.has(key) ? t(key) : t("error.generic", { detail: detail ?? code });
}
