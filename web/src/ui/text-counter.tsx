/** @module The composer's character counter: shown near the server's limit, and a clear reason past it. */
import { t } from "../i18n/i18n.js";
import { pageSettings } from "../state/outage-watch.js";

/** Shown from this share of the limit on. */
const NEAR = 0.9;

/** The length the server counts: code points, so a Korean syllable or an emoji is one. */
export function textLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The server's limit, from the settings the page came with. */
export function textLimit(): number {
  return pageSettings().maxTextLength;
}

export function TextCounter({ text }: { text: string }) {
  const limit = textLimit();
  const length = textLength(text.trim());
  if (length < limit * NEAR) return null;
  const over = length - limit;
  return over > 0 ? (
    <p class="text-counter over" role="alert" data-testid="text-counter">
      {t("composer.tooLong", { over, limit })}
    </p>
  ) : (
    <p class="text-counter" aria-live="polite" data-testid="text-counter">
      {t("composer.count", { n: length, limit })}
    </p>
  );
}
