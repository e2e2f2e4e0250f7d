/** @module A group's info: rename, photo, members with their roles, add and remove, admins, hand over, leave. */
import { useEffect, useState } from "preact/hooks";
import type { Conversation, MemberRole } from "../../../src/protocol/index.js";
import { uploadFile } from "../../../src/sdk/index.js";
import { errorText, t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { GroupLinks } from "./group-links.js";
import { Icon } from "./icons.js";
import { conversationTitle, userName } from "./names.js";
import { userPhoto } from "./photos.js";
import { PresenceText } from "./presence-text.js";
import { navigate, onLinkClick } from "./router.js";
import { useStore } from "./store-context.js";

/** A member's role as the group itself says it. */
export function roleOf(conversation: Conversation, userId: string): MemberRole {
  if (conversation.ownerId === userId) return "owner";
  return conversation.adminIds?.includes(userId) ? "admin" : "member";
}

function MemberRow({ conversation, userId }: { conversation: Conversation; userId: string }) {
  const store = useStore();
  const mine = roleOf(conversation, store.me);
  const theirs = roleOf(conversation, userId);
  const name = userName(store, userId);
  const me = userId === store.me;
  const mayRemove = !me && (mine === "owner" || (mine === "admin" && theirs === "member"));
  const id = conversation.id;
  return (
    <li class="member-row">
      <Avatar name={name} seed={userId} photo={userPhoto(store, userId)} />
      <span class="member-name">
        {name}
        {me && <span class="muted"> {t("info.you")}</span>}
        {!me && <PresenceText userId={userId} class="member-presence" />}
      </span>
      {theirs !== "member" && <span class={`role-badge ${theirs}`}>{t(`info.role.${theirs}`)}</span>}
      <span class="member-actions">
        {mine === "owner" && !me && (
          <button
            type="button"
            class="quiet"
            onClick={() => void store.setRole(id, userId, theirs === "admin" ? "member" : "admin")}
          >
            {theirs === "admin" ? t("info.unmakeAdmin", { name }) : t("info.makeAdmin", { name })}
          </button>
        )}
        {mine === "owner" && !me && (
          <button
            type="button"
            class="quiet"
            onClick={() => {
              if (confirm(t("info.transferConfirm", { name }))) void store.transferOwnership(id, userId);
            }}
          >
            {t("info.transfer", { name })}
          </button>
        )}
        {mayRemove && (
          <button
            type="button"
            class="quiet danger-text"
            onClick={() => {
              if (confirm(t("info.removeConfirm", { name }))) void store.removeMember(id, userId);
            }}
          >
            {t("info.remove", { name })}
          </button>
        )}
      </span>
    </li>
  );
}

function AddMembers({ conversation }: { conversation: Conversation }) {
  const store = useStore();
  const [picked, setPicked] = useState<string[]>([]);
  const candidates = store.directory.contacts.filter((u) => !conversation.memberIds.includes(u.id) && !u.deleted);
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (picked.length > 0 && (await store.addMembers(conversation.id, picked))) setPicked([]);
  };
  return (
    <form class="info-block" onSubmit={submit} aria-labelledby="add-title">
      <h3 id="add-title">{t("info.add")}</h3>
      {candidates.length === 0 ? (
        <p class="muted">{t("info.noContacts")}</p>
      ) : (
        <fieldset class="pick-list">
          <legend class="visually-hidden">{t("info.add")}</legend>
          {candidates.map((user) => (
            <label key={user.id}>
              <input
                type="checkbox"
                checked={picked.includes(user.id)}
                onChange={() =>
                  setPicked(picked.includes(user.id) ? picked.filter((p) => p !== user.id) : [...picked, user.id])
                }
              />{" "}
              {user.displayName} <span class="muted">@{user.username}</span>
            </label>
          ))}
        </fieldset>
      )}
      <button type="submit" class="primary" disabled={picked.length === 0}>
        {t("info.addSubmit")}
      </button>
    </form>
  );
}

export function GroupInfoScreen({ conversationId }: { conversationId: string }) {
  const store = useStore();
  const summary = store.summary(conversationId);
  const [title, setTitle] = useState(summary?.conversation.title ?? "");
  const [photoNote, setPhotoNote] = useState("");
  useEffect(() => {
    if (store.connection === "open") void store.directory.loadContacts();
  }, [store, store.connection]);
  // Members beyond what this connection follows (a big group): their presence once, as the page opens.
  const memberKey = summary?.conversation.memberIds.filter((id) => id !== store.me).join(",") ?? "";
  useEffect(() => {
    if (store.connection === "open" && memberKey !== "") void store.directory.lookUpPresence(memberKey.split(","));
  }, [store, store.connection, memberKey]);
  if (summary?.conversation.kind !== "group") {
    return <p class="placeholder">{store.listLoaded ? t("chat.notFound") : t("chat.loading")}</p>;
  }
  const { conversation } = summary;
  const chatPath = `/c/${encodeURIComponent(conversationId)}`;
  const rename = async (event: SubmitEvent) => {
    event.preventDefault();
    if (title.trim() !== "") await store.updateGroup(conversationId, { title: title.trim() });
  };
  const setPhoto = async (file: File | undefined) => {
    if (!file) return;
    setPhotoNote(t("info.photoUploading"));
    try {
      const info = await uploadFile(location.origin, store.session.token, file, file.name);
      setPhotoNote((await store.updateGroup(conversationId, { photoFileId: info.id })) ? t("info.photoDone") : "");
    } catch (thrown) {
      setPhotoNote(errorText((thrown as { code: string }).code));
    }
  };
  const leave = async () => {
    if (confirm(t("chat.leaveConfirm")) && (await store.leave(conversationId))) navigate("/");
  };
  const report = async () => {
    if (!confirm(t("info.reportConfirm"))) return;
    if (await store.call("conversation.report", { conversationId })) store.say("info", "info.reported");
  };

  return (
    <section class="page group-info" aria-labelledby="page-title">
      <header class="bar">
        <a href={chatPath} class="icon-button" onClick={onLinkClick} aria-label={t("info.backToChat")}>
          <Icon name="back" />
        </a>
        <h2 id="page-title">{t("info.title", { name: conversationTitle(store, conversation) })}</h2>
      </header>
      <div class="page-body">
        <form class="info-block" onSubmit={rename} aria-labelledby="rename-title">
          <h3 id="rename-title">{t("info.rename")}</h3>
          <label>
            {t("info.groupName")}
            <input
              name="title"
              value={title}
              maxLength={200}
              required
              onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
            />
          </label>
          <button type="submit" class="primary">
            {t("info.renameSubmit")}
          </button>
        </form>
        <div class="info-block">
          <h3>{t("info.photo")}</h3>
          <label class="file-label">
            {t("info.photoPick")}
            <input
              type="file"
              accept="image/*"
              onChange={(e) => void setPhoto((e.currentTarget as HTMLInputElement).files?.[0])}
            />
          </label>
          {conversation.photo && (
            <button
              type="button"
              class="quiet"
              onClick={() => void store.updateGroup(conversationId, { photoFileId: null })}
            >
              {t("info.photoRemove")}
            </button>
          )}
          <p class="form-note" role="status">
            {photoNote}
          </p>
        </div>
        <div class="info-block">
          <h3 id="members-title">{t("chat.members", { n: conversation.memberIds.length })}</h3>
          <ul class="member-list" aria-labelledby="members-title">
            {conversation.memberIds.map((userId) => (
              <MemberRow key={userId} conversation={conversation} userId={userId} />
            ))}
          </ul>
        </div>
        <AddMembers conversation={conversation} />
        {roleOf(conversation, store.me) !== "member" && <GroupLinks conversation={conversation} />}
        <div class="info-block">
          <button type="button" class="danger" onClick={leave}>
            {t("chat.leave")}
          </button>{" "}
          <button type="button" class="quiet" onClick={report}>
            {t("info.report")}
          </button>
        </div>
      </div>
    </section>
  );
}
