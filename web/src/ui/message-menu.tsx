/** @module The actions of one message: reply, react, copy, forward, select, pin, edit, delete for everyone (with a confirmation); arrow keys move, Escape closes. */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { copyText, type MessageActions } from "./message-actions.js";
import { useStore } from "./store-context.js";

/** The quick reactions offered, as in most messengers. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

export function MessageMenu(props: {
  id: string;
  message: Message;
  mine: boolean;
  /** The group's owner may pin it as the notice. */
  canPin: boolean;
  onClose(): void;
  actions: MessageActions;
}) {
  const store = useStore();
  const { message } = props;
  const menu = useRef<HTMLDivElement>(null);
  const [confirming, setConfirming] = useState(false);

  const items = () => [...(menu.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
  useEffect(() => {
    items()[0]?.focus();
  }, [confirming]);
  useEffect(() => {
    // A press anywhere else closes the menu (another message's ⋯ button opens its own instead).
    const outside = (event: PointerEvent) => {
      const target = event.target as Element;
      if (!menu.current?.contains(target) && !target.closest?.(".msg-actions")) props.onClose();
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  });

  const close = () => {
    props.onClose();
    // Back to the button that opened the menu, so keyboard users keep their place.
    queueMicrotask(() =>
      document
        .querySelector<HTMLButtonElement>(
          `[aria-controls="${props.id}"], #m-${message.conversationId}-${message.seq} .msg-actions`,
        )
        ?.focus(),
    );
  };
  const copy = async () => store.say("info", (await copyText(message.text)) ? "msg.copied" : "msg.copyFailed");
  const run = (action: () => void) => () => {
    action();
    props.onClose();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const buttons = items();
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowDown" || event.key === "ArrowRight") {
      event.preventDefault();
      buttons[(at + 1) % buttons.length]?.focus();
    } else if (event.key === "ArrowUp" || event.key === "ArrowLeft") {
      event.preventDefault();
      buttons[(at - 1 + buttons.length) % buttons.length]?.focus();
    }
  };

  if (confirming) {
    return (
      <div
        ref={menu}
        id={props.id}
        class="menu"
        role="alertdialog"
        aria-label={t("msg.deleteConfirm")}
        onKeyDown={onKeyDown}
      >
        <p>{t("msg.deleteConfirm")}</p>
        <button
          type="button"
          class="danger"
          onClick={run(() => void store.remove(message.conversationId, message.seq))}
        >
          {t("msg.delete")}
        </button>
        <button type="button" onClick={close}>
          {t("msg.cancel")}
        </button>
      </div>
    );
  }
  return (
    <div ref={menu} id={props.id} class="menu" role="menu" aria-label={t("msg.actions")} onKeyDown={onKeyDown}>
      <div class="menu-reactions">
        {QUICK_REACTIONS.map((emoji) => (
          <button
            key={emoji}
            type="button"
            role="menuitem"
            aria-label={t("msg.reactWith", { emoji })}
            onClick={run(() => void store.react(message.conversationId, message.seq, emoji))}
          >
            {emoji}
          </button>
        ))}
      </div>
      <button type="button" role="menuitem" onClick={run(() => props.actions.reply(message))}>
        {t("msg.reply")}
      </button>
      {message.text !== "" && (
        <button type="button" role="menuitem" onClick={run(() => void copy())}>
          {t("msg.copy")}
        </button>
      )}
      <button type="button" role="menuitem" onClick={run(() => props.actions.forward([message.seq]))}>
        {t("msg.forward")}
      </button>
      <button type="button" role="menuitem" onClick={run(() => props.actions.select(message))}>
        {t("msg.select")}
      </button>
      {props.canPin && (
        <button
          type="button"
          role="menuitem"
          onClick={run(() => void store.tools.pin(message.conversationId, message.seq))}
        >
          {t("pin.pin")}
        </button>
      )}
      {props.mine && (
        <button type="button" role="menuitem" onClick={run(() => props.actions.edit(message))}>
          {t("msg.edit")}
        </button>
      )}
      {props.mine && (
        <button type="button" role="menuitem" class="danger" onClick={() => setConfirming(true)}>
          {t("msg.delete")}
        </button>
      )}
    </div>
  );
}
