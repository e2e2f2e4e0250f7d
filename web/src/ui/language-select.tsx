/** @module The language switch (English / 한국어). */
import { i18n, type Lang, t } from "../i18n/i18n.js";

export function LanguageSelect() {
  return (
    <label class="lang-select">
      {t("lang.label")}
      <select value={i18n.lang} onChange={(e) => i18n.set((e.currentTarget as HTMLSelectElement).value as Lang)}>
        <option value="en">English</option>
        <option value="ko">한국어</option>
      </select>
    </label>
  );
}
