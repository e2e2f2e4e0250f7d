/** @module Dates and times in the UI language: message times, date separators, list times. */
import { i18n, t } from "../i18n/i18n.js";

const formats = new Map<string, Intl.DateTimeFormat>();
function format(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${i18n.lang}:${JSON.stringify(options)}`;
  let formatter = formats.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(i18n.lang, options);
    formats.set(key, formatter);
  }
  return formatter;
}

/** Local calendar day of an ISO time, for grouping messages by date. */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "3:04 PM" / "오후 3:04". */
export function timeOf(iso: string): string {
  return format({ hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

/** A date separator: "Today", "Yesterday", or the full date. */
export function dayLabel(iso: string): string {
  const key = dayKey(iso);
  if (key === dayKey(new Date().toISOString())) return t("time.today");
  if (key === dayKey(new Date(Date.now() - 86_400_000).toISOString())) return t("time.yesterday");
  return format({ dateStyle: "full" }).format(new Date(iso));
}

/** The time shown in the list: today the time, this year the day, else the date. */
export function shortWhen(iso: string): string {
  const date = new Date(iso);
  if (dayKey(iso) === dayKey(new Date().toISOString())) return timeOf(iso);
  if (date.getFullYear() === new Date().getFullYear()) return format({ month: "short", day: "numeric" }).format(date);
  return format({ dateStyle: "short" }).format(date);
}

/** A full date and time, for device lists and tooltips. */
export function whenFull(iso: string): string {
  return format({ dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
