/** @module A group's pinned notice under the chat header: the message's text, a click to go to it, and Unpin for the owner. */
import type { Conversation } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { Icon } from "./icons.js";
import { useStore } from "./store-context.js";

export function PinnedBar({ conversation }: { conversation: Conversation }) {
  const store = useStore();
  const pinned = conversation.pinned;
  if (!pinned) return null;
  const message = store.tools.pinnedMessage(conversation.id, pinned.seq);
  const text = message === null || message?.deleted ? t("msg.deleted") : (message?.text ?? "…");
  const go = async () => {
    if (!(await store.jumpTo(conversation.id, pinned.seq))) store.say("info", "msg.quoteGone");
  };
  return (
    <section class="pinned-bar" aria-label={t("pin.label")}>
      <Icon name="pin" size={18} />
      <button type="button" class="pinned-text" onClick={() => void go()} title={t("pin.open")}>
        <span class="visually-hidden">{t("pin.label")}: </span>
        {text}
      </button>
      {conversation.createdBy === store.me && (
        <button type="button" class="quiet" onClick={() => void store.tools.unpin(conversation.id)}>
          {t("pin.unpin")}
        </button>
      )}
    </section>
  );
}
