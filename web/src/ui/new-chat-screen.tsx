/** @module New chat: a direct chat with one person, or a group (pick members, name it). */
import { useState } from "preact/hooks";
import type { User } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { userPhoto } from "./photos.js";
import { navigate } from "./router.js";
import { ScreenHeader } from "./screen-header.js";
import { useStore } from "./store-context.js";
import { UserSearch } from "./user-search.js";

export function NewChatScreen() {
  const store = useStore();
  const [kind, setKind] = useState<"direct" | "group">("direct");
  // Everyone found by a search stays listed (and picked), so a group can gather several of them.
  const [found, setFound] = useState<User[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [title, setTitle] = useState("");
  const [busy, setBusy] = useState(false);
  const people = [...store.directory.contacts];
  for (const user of found) if (user.id !== store.me && !people.some((u) => u.id === user.id)) people.unshift(user);

  const start = async (userId: string) => {
    setBusy(true);
    const id = await store.create("direct", [userId]);
    setBusy(false);
    if (id) navigate(`/c/${encodeURIComponent(id)}`);
  };
  const createGroup = async (event: SubmitEvent) => {
    event.preventDefault();
    if (picked.length === 0) return store.say("info", "new.pickMembers");
    setBusy(true);
    const id = await store.create("group", picked, title.trim() || undefined);
    setBusy(false);
    if (id) navigate(`/c/${encodeURIComponent(id)}`);
  };
  const toggle = (userId: string) =>
    setPicked(picked.includes(userId) ? picked.filter((p) => p !== userId) : [...picked, userId]);

  return (
    <section class="page" aria-labelledby="page-title">
      <ScreenHeader title={t("new.title")} />
      <div class="page-body">
        <fieldset class="segmented">
          <legend class="visually-hidden">{t("new.title")}</legend>
          <label>
            <input type="radio" name="kind" checked={kind === "direct"} onChange={() => setKind("direct")} />
            {t("new.direct")}
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === "group"} onChange={() => setKind("group")} />
            {t("new.group")}
          </label>
        </fieldset>
        <UserSearch
          onFound={(user) => {
            if (!user) return;
            setFound([user, ...found.filter((u) => u.id !== user.id)]);
            if (kind === "group" && user.id !== store.me && !picked.includes(user.id)) setPicked([...picked, user.id]);
          }}
        />
        <h3>{t("new.contacts")}</h3>
        {people.length === 0 && <p class="muted">{t("new.noContacts")}</p>}
        {kind === "direct" ? (
          <ul class="people">
            {people.map((user) => (
              <li key={user.id}>
                <Avatar name={user.displayName} seed={user.id} photo={userPhoto(store, user.id)} />
                <span class="person">
                  {user.displayName} <span class="muted">@{user.username}</span>
                </span>
                <button type="button" disabled={busy} onClick={() => void start(user.id)}>
                  {t("new.chat")}
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <form onSubmit={createGroup} class="group-form">
            <ul class="people">
              {people.map((user) => (
                <li key={user.id}>
                  <label class="person-pick">
                    <input type="checkbox" checked={picked.includes(user.id)} onChange={() => toggle(user.id)} />
                    <Avatar name={user.displayName} seed={user.id} photo={userPhoto(store, user.id)} />
                    <span class="person">
                      {user.displayName} <span class="muted">@{user.username}</span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
            <p class="muted" aria-live="polite">
              {t("new.selected", { n: picked.length })}
            </p>
            <label>
              {t("new.groupTitle")}
              <input
                value={title}
                maxLength={200}
                onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
              />
            </label>
            <button type="submit" class="primary" disabled={busy}>
              {t("new.create")}
            </button>
          </form>
        )}
      </div>
    </section>
  );
}
