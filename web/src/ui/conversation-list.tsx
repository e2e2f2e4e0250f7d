/** @module The conversation list: most recent first, with unread and mention badges and the last message. */
import type { ConversationSummary } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import type { AppStore } from "../state/app-store.js";
import { Avatar } from "./avatar.js";
import { shortWhen } from "./format.js";
import { InvitationsPanel } from "./invitations-panel.js";
import { conversationTitle, otherMember, userName } from "./names.js";
import { conversationPhoto } from "./photos.js";
import { onLinkClick } from "./router.js";
import { useStore } from "./store-context.js";
import { systemText } from "./system-line.js";

function preview(store: AppStore, summary: ConversationSummary): string {
  const message = summary.lastMessage;
  if (!message) return t("list.noMessages");
  if (message.deleted) return t("list.deleted");
  if (message.system) return systemText(store, message.senderId, message.system);
  const text = message.text.replace(/\s+/g, " ");
  if (message.senderId === store.me) return t("list.you", { text });
  return summary.conversation.kind === "group" ? `${userName(store, message.senderId)}: ${text}` : text;
}

function Item({ summary, active }: { summary: ConversationSummary; active: boolean }) {
  const store = useStore();
  const { conversation, unreadCount, unreadMentionCount, lastMessage } = summary;
  const title = conversationTitle(store, conversation);
  const other = conversation.kind === "direct" ? otherMember(store, conversation) : undefined;
  const online = other ? (store.directory.presence.get(other)?.online ?? false) : undefined;
  return (
    <li>
      <a
        href={`/c/${encodeURIComponent(conversation.id)}`}
        class="conversation"
        onClick={onLinkClick}
        aria-current={active ? "page" : undefined}
        data-conversation={conversation.id}
      >
        <Avatar
          name={title}
          seed={other ?? conversation.id}
          group={conversation.kind === "group"}
          photo={conversationPhoto(store, conversation)}
          {...(online !== undefined ? { online } : {})}
        />
        <span class="conversation-text">
          <span class="conversation-top">
            <span class="conversation-title">
              {title}
              {conversation.kind === "group" && <span class="count"> {conversation.memberIds.length}</span>}
            </span>
            <time dateTime={lastMessage?.createdAt ?? conversation.createdAt}>
              {shortWhen(lastMessage?.createdAt ?? conversation.createdAt)}
            </time>
          </span>
          <span class="conversation-bottom">
            <span class="preview">{preview(store, summary)}</span>
            {unreadMentionCount > 0 && (
              <span class="badge mention" data-count={unreadMentionCount}>
                <span aria-hidden="true">@{unreadMentionCount}</span>
                <span class="visually-hidden">{t("list.mentions", { n: unreadMentionCount })}</span>
              </span>
            )}
            {unreadCount > 0 && (
              <span class="badge unread" data-count={unreadCount}>
                <span aria-hidden="true">{unreadCount > 999 ? "999+" : unreadCount}</span>
                <span class="visually-hidden">{t("list.unread", { n: unreadCount })}</span>
              </span>
            )}
          </span>
        </span>
      </a>
    </li>
  );
}

export function ConversationList({ activeId }: { activeId: string | undefined }) {
  const store = useStore();
  const conversations = store.conversations;
  return (
    <>
      <InvitationsPanel />
      {conversations.length === 0 ? (
        <p class="list-empty">{store.listLoaded ? t("list.empty") : t("conn.connecting")}</p>
      ) : (
        <ul class="conversations" aria-label={t("list.label")}>
          {conversations.map((summary) => (
            <Item key={summary.conversation.id} summary={summary} active={summary.conversation.id === activeId} />
          ))}
        </ul>
      )}
    </>
  );
}
