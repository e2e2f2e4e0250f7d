/** @module A person's presence in words — online, last seen at a time, or "last seen recently" when they hide it — or nothing when the server shows it not to me (they do not list me as a contact). */
import { t } from "../i18n/i18n.js";
import { whenFull } from "./format.js";
import { useStore } from "./store-context.js";

/**
 * What the server told of this user's presence (a subscription or `presence.get`). Nothing at
 * all when it told nothing: presence is shown only to the user's contacts, never across a block,
 * so a group member who has not added me shows no word of it, and a guess would leak or mislead.
 */
export function PresenceText({ userId, class: extra }: { userId: string; class?: string }) {
  const store = useStore();
  const presence = store.directory.presence.get(userId);
  if (!presence) return null;
  const cls = extra ? ` ${extra}` : "";
  if (presence.hidden) {
    return (
      <span class={`presence-text${cls}`} data-presence="hidden">
        {t("chat.lastSeenRecently")}
      </span>
    );
  }
  if (presence.online) {
    return (
      <span class={`presence-text online-text${cls}`} data-presence="online">
        {t("chat.online")}
      </span>
    );
  }
  return (
    <span class={`presence-text${cls}`} data-presence="offline">
      {presence.lastSeenAt ? t("chat.lastSeen", { time: whenFull(presence.lastSeenAt) }) : t("chat.offline")}
    </span>
  );
}
