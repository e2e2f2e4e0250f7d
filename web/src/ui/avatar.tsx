/** @module A round avatar with initials, and a presence dot when the person is online. */
import { t } from "../i18n/i18n.js";
import { Icon } from "./icons.js";

/** One of six colour classes (styles.css: white text on each is above 4.5:1), the same for the same seed. */
function colorOf(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) | 0;
  return `c${Math.abs(hash) % 6}`;
}

/** The first letter (Korean syllable, emoji or Latin letter) of a name. */
function initial(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? "?";
}

export function Avatar({
  name,
  seed,
  online,
  group,
}: {
  name: string;
  seed: string;
  online?: boolean;
  group?: boolean;
}) {
  return (
    <span class={`avatar ${colorOf(seed)}${group ? " group" : ""}`} aria-hidden="true">
      {group ? <Icon name="group" size={24} /> : initial(name)}
      {online !== undefined && (
        <span class={`dot${online ? " online" : ""}`} title={online ? t("chat.online") : t("chat.offline")} />
      )}
    </span>
  );
}
