/** @module Selection mode's bar: how many messages are chosen, copy them as text, forward them, or leave. */
import { useEffect, useRef } from "preact/hooks";
import type { Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { findMessage } from "../state/chat-model.js";
import { copyText, messagesAsText, type Selection } from "./message-actions.js";
import { userName } from "./names.js";
import { useStore } from "./store-context.js";

export function SelectionBar(props: {
  conversationId: string;
  selection: Selection;
  onForward(seqs: number[]): void;
  onDone(): void;
}) {
  const store = useStore();
  const bar = useRef<HTMLDivElement>(null);
  const seqs = [...props.selection].sort((a, b) => a - b);
  useEffect(() => {
    bar.current?.querySelector<HTMLButtonElement>("button")?.focus();
  }, []);
  const chosen = (): Message[] => {
    const view = store.view(props.conversationId);
    return view ? seqs.map((seq) => findMessage(view, seq)).filter((m): m is Message => m !== undefined) : [];
  };
  const copy = async () => {
    const ok = await copyText(messagesAsText(chosen(), (id) => userName(store, id)));
    store.say("info", ok ? "msg.copied" : "msg.copyFailed");
    if (ok) props.onDone();
  };
  return (
    <div
      ref={bar}
      class="selection-bar"
      role="toolbar"
      aria-label={t("select.bar")}
      onKeyDown={(event) => event.key === "Escape" && props.onDone()}
    >
      <span class="selection-count" aria-live="polite">
        {t("select.count", { n: seqs.length })}
      </span>
      <button type="button" disabled={seqs.length === 0} onClick={() => void copy()}>
        {t("select.copy")}
      </button>
      <button type="button" disabled={seqs.length === 0} onClick={() => props.onForward(seqs)}>
        {t("select.forward")}
      </button>
      <button type="button" class="quiet" onClick={props.onDone}>
        {t("select.cancel")}
      </button>
    </div>
  );
}
