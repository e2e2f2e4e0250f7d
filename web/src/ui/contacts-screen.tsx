/** @module Contacts: find by username and add; chat, remove or block a contact; unblock. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { User } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { userPhoto } from "./photos.js";
import { navigate } from "./router.js";
import { ScreenHeader } from "./screen-header.js";
import { useStore } from "./store-context.js";
import { UserSearch } from "./user-search.js";

function Person({ user, children }: { user: User; children: ComponentChildren }) {
  const store = useStore();
  const online = store.directory.presence.get(user.id)?.online ?? false;
  return (
    <li data-user={user.username}>
      <Avatar name={user.displayName} seed={user.id} online={online} photo={userPhoto(store, user.id)} />
      <span class="person">
        {user.displayName} <span class="muted">@{user.username}</span>
      </span>
      <span class="actions">{children}</span>
    </li>
  );
}

export function ContactsScreen() {
  const store = useStore();
  const { directory } = store;
  const [found, setFound] = useState<User | undefined>();
  useEffect(() => {
    void directory.loadContacts();
  }, [directory]);
  const chat = async (userId: string) => {
    const id = await store.create("direct", [userId]);
    if (id) navigate(`/c/${encodeURIComponent(id)}`);
  };
  const isContact = (id: string) => directory.contacts.some((u) => u.id === id);
  const isBlocked = (id: string) => directory.blocked.some((u) => u.id === id);

  return (
    <section class="page" aria-labelledby="page-title">
      <ScreenHeader title={t("contacts.title")} />
      <div class="page-body">
        <UserSearch onFound={setFound} />
        {found && found.id !== store.me && (
          <>
            <h3>{t("contacts.found")}</h3>
            <ul class="people">
              <Person user={found}>
                {!isContact(found.id) && (
                  <button type="button" class="primary" onClick={() => void directory.addContact(found.id)}>
                    {t("contacts.add")}
                  </button>
                )}
                <button type="button" onClick={() => void chat(found.id)}>
                  {t("new.chat")}
                </button>
              </Person>
            </ul>
          </>
        )}
        <h3>{t("contacts.title")}</h3>
        {directory.contacts.length === 0 && <p class="muted">{t("contacts.none")}</p>}
        <ul class="people">
          {directory.contacts.map((user) => (
            <Person key={user.id} user={user}>
              <button type="button" onClick={() => void chat(user.id)}>
                {t("new.chat")}
              </button>
              <button type="button" class="quiet" onClick={() => void directory.removeContact(user.id)}>
                {t("contacts.remove")}
              </button>
              {!isBlocked(user.id) && (
                <button type="button" class="quiet danger" onClick={() => void directory.block(user.id)}>
                  {t("contacts.block")}
                </button>
              )}
            </Person>
          ))}
        </ul>
        <h3>{t("contacts.blocked")}</h3>
        {directory.blocked.length === 0 && <p class="muted">{t("contacts.noneBlocked")}</p>}
        <ul class="people">
          {directory.blocked.map((user) => (
            <Person key={user.id} user={user}>
              <button type="button" onClick={() => void directory.unblock(user.id)}>
                {t("contacts.unblock")}
              </button>
            </Person>
          ))}
        </ul>
      </div>
    </section>
  );
}
