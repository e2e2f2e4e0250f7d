/** @module Forward messages: pick one or more chats, then send copies (files kept) to each. */
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { conversationTitle } from "./names.js";
import { useStore } from "./store-context.js";

export function ForwardDialog(props: { fromConversationId: string; seqs: number[]; onClose(done: boolean): void }) {
  const store = useStore();
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => {
    dialog.current?.querySelector<HTMLInputElement>("input")?.focus();
  }, []);
  const toggle = (id: string) => {
    const next = new Set(chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setChosen(next);
  };
  const send = async () => {
    if (chosen.size === 0) {
      store.say("info", "forward.none");
      return;
    }
    setBusy(true);
    const made = await store.tools.forward(props.fromConversationId, props.seqs, [...chosen]);
    setBusy(false);
    if (made > 0) {
      store.say("info", "forward.done");
      props.onClose(true);
    }
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click outside closes, as Escape does from the keyboard
    <div class="search-backdrop" onClick={(event) => event.target === event.currentTarget && props.onClose(false)}>
      <div
        ref={dialog}
        class="search-panel forward-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="forward-title"
        onKeyDown={(event) => event.key === "Escape" && props.onClose(false)}
      >
        <h2 id="forward-title">{t("forward.title")}</h2>
        <ul class="forward-list">
          {store.conversations.map(({ conversation }) => (
            <li key={conversation.id}>
              <label>
                <input type="checkbox" checked={chosen.has(conversation.id)} onChange={() => toggle(conversation.id)} />
                <span>{conversationTitle(store, conversation)}</span>
              </label>
            </li>
          ))}
        </ul>
        <div class="dialog-actions">
          <button type="button" class="quiet" onClick={() => props.onClose(false)}>
            {t("forward.cancel")}
          </button>
          <button type="button" class="primary" disabled={busy} onClick={() => void send()}>
            {t("forward.send")} {chosen.size > 0 ? `(${chosen.size})` : ""}
          </button>
        </div>
      </div>
    </div>
  );
}
