/** @module One conversation: its header, the messages, who is typing, and the composer. */
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import type { Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { Composer } from "./composer.js";
import { ForwardDialog } from "./forward-dialog.js";
import { Icon } from "./icons.js";
import type { MessageActions } from "./message-actions.js";
import { MessageList } from "./message-list.js";
import { MuteMenu } from "./mute-menu.js";
import { conversationTitle, otherMember, userName } from "./names.js";
import { conversationPhoto } from "./photos.js";
import { PinnedBar } from "./pinned-bar.js";
import { PresenceText } from "./presence-text.js";
import { onLinkClick } from "./router.js";
import { openSearch } from "./search-panel.js";
import { SelectionBar } from "./selection-bar.js";
import { useStore } from "./store-context.js";

/** What the composer is doing besides writing a new message. */
export type ComposerMode = { kind: "new" } | { kind: "reply"; message: Message } | { kind: "edit"; message: Message };

function Subtitle({ conversationId }: { conversationId: string }) {
  const store = useStore();
  const conversation = store.summary(conversationId)?.conversation;
  if (!conversation) return null;
  if (conversation.kind === "group") return <span>{t("chat.members", { n: conversation.memberIds.length })}</span>;
  const other = otherMember(store, conversation);
  return other ? <PresenceText userId={other} /> : null;
}

function TypingLine({ conversationId }: { conversationId: string }) {
  const store = useStore();
  const typing = store.typing(conversationId);
  const text =
    typing.length === 0
      ? ""
      : typing.length === 1
        ? t("typing.one", { name: userName(store, typing[0] as string) })
        : t("typing.many", { n: typing.length });
  return (
    <p class="typing" aria-live="polite">
      {text}
    </p>
  );
}

export function ChatScreen({ conversationId }: { conversationId: string }) {
  const store = useStore();
  const [mode, setMode] = useState<ComposerMode>({ kind: "new" });
  /** The chosen messages' seqs while selecting several (to copy or forward), else undefined. */
  const [selection, setSelection] = useState<ReadonlySet<number> | undefined>();
  /** The messages being forwarded: the dialog is open. */
  const [forwarding, setForwarding] = useState<number[] | undefined>();
  // In the commit, not after the next paint (where useEffect runs): the page around the first
  // unread is asked for a frame sooner.
  useLayoutEffect(() => {
    store.open(conversationId);
  }, [store, conversationId]);
  // The list may arrive after the route (a reload on /c/…); open again once the connection is up.
  useEffect(() => {
    if (store.connection === "open") store.open(conversationId);
  }, [store, conversationId, store.connection]);

  const summary = store.summary(conversationId);
  const view = store.view(conversationId);
  if (!summary) {
    return <p class="placeholder">{store.listLoaded ? t("chat.notFound") : t("chat.loading")}</p>;
  }
  const { conversation } = summary;
  const title = conversationTitle(store, conversation);
  const other = conversation.kind === "direct" ? otherMember(store, conversation) : undefined;
  const online = other ? (store.directory.presence.get(other)?.online ?? false) : undefined;
  const photo = conversationPhoto(store, conversation);
  const block = async () => {
    if (other && confirm(t("chat.blockConfirm", { name: title }))) await store.directory.block(other);
  };
  const report = async () => {
    if (!confirm(t("info.reportConfirm"))) return;
    if (await store.call("conversation.report", { conversationId })) store.say("info", "info.reported");
  };
  const actions: MessageActions = {
    reply: (message) => setMode({ kind: "reply", message }),
    edit: (message) => setMode({ kind: "edit", message }),
    // From the previous state: a bubble that did not draw again may hold an older copy of these.
    select: (message) =>
      setSelection((selection) => {
        const next = new Set(selection);
        if (next.has(message.seq)) next.delete(message.seq);
        else next.add(message.seq);
        return next;
      }),
    forward: setForwarding,
  };

  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="bar chat-head">
        <a href="/" class="icon-button back" onClick={onLinkClick} aria-label={t("nav.back")}>
          <Icon name="back" />
        </a>
        <Avatar
          name={title}
          seed={other ?? conversation.id}
          group={conversation.kind === "group"}
          photo={photo}
          {...(online !== undefined ? { online } : {})}
        />
        <div class="chat-title">
          <h2 id="chat-title">{title}</h2>
          <Subtitle conversationId={conversationId} />
        </div>
        <MuteMenu conversationId={conversationId} group={conversation.kind === "group"} />
        <button
          type="button"
          class="icon-button"
          onClick={() => openSearch(conversationId)}
          aria-label={t("search.inChat")}
          title={`${t("search.inChat")} (Ctrl+F)`}
          aria-keyshortcuts="Control+F"
        >
          <Icon name="search" />
        </button>
        {conversation.kind === "group" ? (
          <a
            href={`/c/${encodeURIComponent(conversationId)}/info`}
            class="button quiet"
            onClick={onLinkClick}
            aria-label={t("info.open")}
          >
            {t("info.short")}
          </a>
        ) : (
          other && (
            <>
              <button type="button" class="quiet" onClick={block}>
                {t("chat.block")}
              </button>
              <button type="button" class="quiet" onClick={report}>
                {t("info.report")}
              </button>
            </>
          )
        )}
      </header>
      <PinnedBar conversation={conversation} />
      {view && <MessageList view={view} conversation={conversation} selection={selection} actions={actions} />}
      <TypingLine conversationId={conversationId} />
      {selection ? (
        <SelectionBar
          conversationId={conversationId}
          selection={selection}
          onForward={setForwarding}
          onDone={() => setSelection(undefined)}
        />
      ) : (
        <Composer conversation={conversation} mode={mode} onDone={() => setMode({ kind: "new" })} />
      )}
      {forwarding && (
        <ForwardDialog
          fromConversationId={conversationId}
          seqs={forwarding}
          onClose={(done) => {
            setForwarding(undefined);
            if (done) setSelection(undefined);
          }}
        />
      )}
    </section>
  );
}
