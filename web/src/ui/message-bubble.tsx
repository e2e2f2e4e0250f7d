/** @module One message: bubble, quoted reply, reactions, the unread "1", time, delivery state and the actions button. */
import { Component } from "preact";
import type { Conversation, Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import type { ChatView } from "../state/chat-model.js";
import { findMessage } from "../state/chat-model.js";
import { mentionsUser } from "../state/list-model.js";
import type { UnsentMessage } from "../state/outbox-keeper.js";
import { Avatar } from "./avatar.js";
import { timeOf } from "./format.js";
import { Icon } from "./icons.js";
import { LinkPreviewCard } from "./link-preview-card.js";
import type { MessageActions } from "./message-actions.js";
import { MessageFiles } from "./message-files.js";
import { MessageMenu } from "./message-menu.js";
import { userName } from "./names.js";
import { userPhoto } from "./photos.js";
import { RichText } from "./rich-text.js";
import { useStore } from "./store-context.js";

/** The quoted message a reply points at; a click goes to it, loading the messages around it when needed. */
function Quote({
  view,
  seq,
  quoted = findMessage(view, seq),
}: {
  view: ChatView;
  seq: number;
  quoted?: Message | undefined;
}) {
  const store = useStore();
  const jump = async () => {
    if (!(await store.jumpTo(view.conversationId, seq))) store.say("info", "msg.quoteGone");
  };
  return (
    <button type="button" class="quote" onClick={() => void jump()} title={t("msg.toQuote")}>
      <strong>{quoted ? userName(store, quoted.senderId) : t("msg.quoteMissing")}</strong>
      <span>{quoted ? (quoted.deleted ? t("msg.deleted") : quoted.text) : `#${seq}`}</span>
    </button>
  );
}

function Reactions({ message }: { message: Message }) {
  const store = useStore();
  const entries = Object.entries(message.reactions);
  if (entries.length === 0 || message.deleted) return null;
  return (
    <div class="reactions">
      {entries.map(([emoji, count]) => (
        <button
          key={emoji}
          type="button"
          class="reaction"
          aria-pressed={store.reacted(message.conversationId, message.seq, emoji)}
          aria-label={t("msg.reactionCount", { emoji, n: count })}
          onClick={() => void store.react(message.conversationId, message.seq, emoji)}
        >
          {emoji} {count}
        </button>
      ))}
    </div>
  );
}

export function MessageBubble(props: {
  rowKey: string;
  message: Message;
  view: ChatView;
  conversation: Conversation;
  members: ReadonlySet<string>;
  first: boolean;
  showTime: boolean;
  /**
   * How many members have not read it (the "1"), worked out by the list: a read cursor that moves
   * draws again only the bubbles whose count changed, not every bubble on screen.
   */
  unread: number;
  /** The message this one replies to, when loaded (an edit of it draws this bubble again). */
  quoted?: Message | undefined;
  /** Just jumped to: shown highlighted for a moment. */
  highlighted: boolean;
  /** In selection mode: whether this message is chosen (undefined outside selection mode). */
  selected: boolean | undefined;
  menuOpen: boolean;
  onMenu(open: boolean): void;
  actions: MessageActions;
}) {
  const store = useStore();
  const { message, view, conversation } = props;
  const mine = message.senderId === store.me;
  const unread = props.unread;
  const mentioned = mentionsUser(message, store.me, store.directory.blockedIds);
  const sender = userName(store, message.senderId);
  const classes = ["msg", mine ? "mine" : "theirs", props.first ? "first" : "", mentioned ? "mentions-me" : ""];
  if (props.highlighted) classes.push("lit");
  if (props.selected) classes.push("selected");
  const menuId = `menu-${conversation.id}-${message.seq}`;
  const selecting = props.selected !== undefined;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click anywhere on the row is the pointer's shortcut; the row's checkbox is the keyboard's way
    <li
      class={classes.join(" ")}
      id={`m-${conversation.id}-${message.seq}`}
      data-seq={message.seq}
      data-key={props.rowKey}
      onClick={selecting ? () => props.actions.select(message) : undefined}
    >
      {selecting && !message.deleted && (
        <input
          type="checkbox"
          class="pick"
          checked={props.selected}
          aria-label={t("select.one", { text: message.text.slice(0, 40) })}
          onClick={(event) => event.stopPropagation()}
          onChange={() => props.actions.select(message)}
        />
      )}
      {!mine &&
        (props.first ? (
          <Avatar name={sender} seed={message.senderId} photo={userPhoto(store, message.senderId)} />
        ) : (
          <span class="avatar-gap" />
        ))}
      <div class="msg-body">
        {!mine && props.first && conversation.kind === "group" && <span class="sender">{sender}</span>}
        <div class="msg-row">
          <div class={`bubble${message.deleted ? " deleted" : ""}`}>
            {mentioned && <span class="visually-hidden">{t("msg.mentionsYou")}: </span>}
            {message.forwarded && !message.deleted && (
              <span class="forwarded">
                <Icon name="forward" size={14} /> {t("msg.forwarded")}
              </span>
            )}
            {message.replyToSeq !== undefined && !message.deleted && (
              <Quote view={view} seq={message.replyToSeq} quoted={props.quoted} />
            )}
            {!message.deleted && message.files && <MessageFiles files={message.files} />}
            {message.deleted ? (
              <em>{t("msg.deleted")}</em>
            ) : (
              message.text !== "" && (
                <span class="text">
                  <RichText text={message.text} members={props.members} me={store.session.user.username} />
                </span>
              )
            )}
            {message.editedAt && !message.deleted && <span class="edited"> ({t("msg.edited")})</span>}
            {!message.deleted && message.preview && <LinkPreviewCard preview={message.preview} />}
          </div>
          <span class="meta">
            {unread > 0 && (
              <span class="unread-by" data-count={unread}>
                <span aria-hidden="true">{unread}</span>
                <span class="visually-hidden">{t("msg.unreadBy", { n: unread })}</span>
              </span>
            )}
            {mine && <span class="visually-hidden">{t("msg.sent")}</span>}
            {props.showTime && <time dateTime={message.createdAt}>{timeOf(message.createdAt)}</time>}
          </span>
          {!message.deleted && !selecting && (
            <button
              type="button"
              class="msg-actions"
              aria-label={t("msg.actions")}
              aria-haspopup="menu"
              aria-expanded={props.menuOpen}
              aria-controls={props.menuOpen ? menuId : undefined}
              onClick={() => props.onMenu(!props.menuOpen)}
            >
              <Icon name="more" size={18} />
            </button>
          )}
        </div>
        <Reactions message={message} />
        {props.menuOpen && (
          <MessageMenu
            id={menuId}
            message={message}
            mine={mine}
            onClose={() => props.onMenu(false)}
            canPin={conversation.kind === "group" && conversation.createdBy === store.me}
            actions={props.actions}
          />
        )}
      </div>
    </li>
  );
}

type BubbleProps = Parameters<typeof MessageBubble>[0] & {
  /** What every bubble reads besides its message (names, blocks, the language): a change draws every bubble again. */
  generation: string;
};

/**
 * A bubble that draws again only when its own props change, or the store or language did:
 * scrolling the windowed log adds and removes rows without redrawing the ones that stay.
 * Functions are not compared (they only call setters), nor the members set (it follows the store).
 */
export class StillBubble extends Component<BubbleProps> {
  override shouldComponentUpdate(next: BubbleProps): boolean {
    const now = this.props as Record<string, unknown>;
    for (const [key, value] of Object.entries(next)) {
      if (typeof value !== "function" && key !== "members" && key !== "actions" && now[key] !== value) return true;
    }
    return false;
  }

  override render(props: BubbleProps) {
    return <MessageBubble {...props} />;
  }
}

/** My message that the server has not stored yet: "sending…", or refused with retry and discard. */
export function UnsentBubble({ unsent, view }: { unsent: UnsentMessage; view: ChatView }) {
  const store = useStore();
  const failed = unsent.state === "failed";
  return (
    <li class={`msg mine unsent ${unsent.state}`} data-client-msg-id={unsent.clientMsgId} data-state={unsent.state}>
      <div class="msg-body">
        <div class="msg-row">
          <div class="bubble">
            {unsent.replyToSeq !== undefined && <Quote view={view} seq={unsent.replyToSeq} />}
            {(unsent.fileIds || unsent.uploads) && (
              <span class="unsent-files">
                {t("files.count", { n: (unsent.fileIds?.length ?? 0) + (unsent.uploads?.length ?? 0) })}
              </span>
            )}
            {unsent.uploaded !== undefined && (
              <progress class="unsent-progress" max={1} value={unsent.uploaded} aria-label={t("msg.sending")} />
            )}
            <span class="text">{unsent.text}</span>
          </div>
          <span class="meta">
            {failed ? (
              <span class="failed-text" title={unsent.failed?.message}>
                {t("msg.failed")}
              </span>
            ) : (
              <span class="sending-text">{t("msg.sending")}</span>
            )}
          </span>
        </div>
        {!failed && unsent.uploaded !== undefined && (
          <div class="unsent-actions">
            <button type="button" class="quiet" onClick={() => store.outbox.discard(unsent.clientMsgId)}>
              {t("msg.discard")}
            </button>
          </div>
        )}
        {failed && (
          <div class="unsent-actions">
            <button type="button" onClick={() => store.outbox.retry(unsent.clientMsgId)}>
              {t("msg.retry")}
            </button>
            <button type="button" class="quiet" onClick={() => store.outbox.discard(unsent.clientMsgId)}>
              {t("msg.discard")}
            </button>
          </div>
        )}
      </div>
    </li>
  );
}
