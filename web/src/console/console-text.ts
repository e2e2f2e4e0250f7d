/** @module The console's text in the UI language chosen for the whole app (the chat's language switch and setting). */
import { i18n } from "../i18n/i18n.js";
import { type ConsoleKey, consoleEn } from "./console-en.js";
import { consoleKo } from "./console-ko.js";

export type { ConsoleKey };

/**
 * Kept apart from the chat's text tables so the chat bundle carries none of the console's
 * words; the language itself is the chat's one setting.
 */
const TEXTS: Record<typeof i18n.lang, Record<ConsoleKey, string>> = { en: consoleEn, ko: consoleKo };

function fill(text: string, params: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] !== undefined ? String(params[name]) : whole,
  );
}

/** The console text for `key` with `{placeholders}` filled. */
export function ct(key: ConsoleKey, params: Record<string, string | number> = {}): string {
  return fill(TEXTS[i18n.lang][key], params);
}

/** The text for a key built from data (a status, a source), or `fallback` when the data is newer than this table. */
export function ctOr(key: string, fallback: string): string {
  return Object.hasOwn(consoleEn, key) ? ct(key as ConsoleKey) : fallback;
}
