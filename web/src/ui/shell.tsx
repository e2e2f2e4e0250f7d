/** @module The signed-in layout: banners, the sidebar (list and navigation) and the main pane; one pane at a time on a phone; the search dialog (Ctrl+K, Ctrl+F). */
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { ChatScreen } from "./chat-screen.js";
import { ConnectionBanner } from "./connection-banner.js";
import { ContactsScreen } from "./contacts-screen.js";
import { ConversationList } from "./conversation-list.js";
import { DevicesScreen } from "./devices-screen.js";
import { GroupInfoScreen } from "./group-info-screen.js";
import { Icon } from "./icons.js";
import { IncidentBanner } from "./incident-banner.js";
import { JoinScreen } from "./join-screen.js";
import { conversationTitle, userName } from "./names.js";
import { Nav } from "./nav.js";
import { NewChatScreen } from "./new-chat-screen.js";
import { navigate, onLinkClick, parseRoute, pathOf, type Route, useRoute } from "./router.js";
import { SEARCH_EVENT, SearchPanel } from "./search-panel.js";
import { SettingsScreen } from "./settings-screen.js";
import { useStore } from "./store-context.js";
import { Toast } from "./toast.js";

function Screen({ route, onLogout }: { route: Route; onLogout(): void }) {
  switch (route.name) {
    case "chat":
      return <ChatScreen key={route.id} conversationId={route.id} />;
    case "info":
      return <GroupInfoScreen key={route.id} conversationId={route.id} />;
    case "join":
      return <JoinScreen key={route.token} token={route.token} />;
    case "new":
      return <NewChatScreen />;
    case "contacts":
      return <ContactsScreen />;
    case "devices":
      return <DevicesScreen onLogout={onLogout} />;
    case "settings":
      return <SettingsScreen onLogout={onLogout} />;
    case "chats":
      return <p class="placeholder">{t("chat.pick")}</p>;
  }
}

/** The unread total in the title and the app badge, and a notification with a tone for a message while the tab is hidden. */
function useAttention(): void {
  const store = useStore();
  const total = store.conversations.reduce((sum, summary) => sum + store.notify.unreadShown(summary), 0);
  useEffect(() => store.attention.showUnread(total), [store, total]);
  useEffect(() => {
    store.onAlert = (message) => {
      const conversation = store.summary(message.conversationId)?.conversation;
      const sender = userName(store, message.senderId);
      const title = conversation?.kind === "group" ? `${sender} · ${conversationTitle(store, conversation)}` : sender;
      const body = store.notify.settings.hideText ? t("notify.newMessage") : message.text || t("notify.newMessage");
      // A message in the chat open on screen is seen as it arrives: nothing is owed for it if the tab then hides.
      const route = parseRoute(location.pathname);
      const onScreen = route.name === "chat" && route.id === message.conversationId;
      const open = () => navigate(pathOf({ name: "chat", id: message.conversationId }));
      store.attention.alert(message, title, body, open, onScreen);
    };
    return () => {
      store.onAlert = undefined;
    };
  }, [store]);
}

export function Shell({ onLogout }: { onLogout(): void }) {
  const route = useRoute();
  useAttention();
  // On a phone the list is its own screen; everything else replaces it.
  const pane = route.name === "chats" ? "list" : "main";
  /** The open search: over every chat, or in one (`conversationId`). */
  const [search, setSearch] = useState<{ conversationId?: string | undefined } | undefined>();
  const chatId = route.name === "chat" ? route.id : undefined;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      const key = event.key.toLowerCase();
      if (key !== "k" && key !== "f") return;
      // Ctrl+K searches every chat; Ctrl+F the open one (every chat when none is open).
      event.preventDefault();
      setSearch({ conversationId: key === "f" ? chatId : undefined });
    };
    const onAsk = (event: Event) => setSearch({ conversationId: (event as CustomEvent<string | undefined>).detail });
    window.addEventListener("keydown", onKey);
    window.addEventListener(SEARCH_EVENT, onAsk);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener(SEARCH_EVENT, onAsk);
    };
  }, [chatId]);
  return (
    <div class="shell" data-pane={pane}>
      <a class="skip" href="#main">
        {t("app.skip")}
      </a>
      <div class="banners">
        <ConnectionBanner />
        <IncidentBanner />
      </div>
      <aside class="sidebar">
        <header class="bar">
          <h1 class="brand">{t("app.name")}</h1>
          <button
            type="button"
            class="icon-button"
            onClick={() => setSearch({})}
            aria-label={t("search.all")}
            title={`${t("search.all")} (Ctrl+K)`}
            aria-keyshortcuts="Control+K"
          >
            <Icon name="search" />
          </button>
          <a href="/new" class="icon-button" onClick={onLinkClick} aria-label={t("nav.new")} title={t("nav.new")}>
            <Icon name="plus" />
          </a>
        </header>
        <ConversationList activeId={route.name === "chat" || route.name === "info" ? route.id : undefined} />
        <Nav route={route} />
      </aside>
      <main id="main" class="main" tabIndex={-1}>
        <Screen route={route} onLogout={onLogout} />
      </main>
      {search && (
        <SearchPanel
          key={search.conversationId ?? ""}
          conversationId={search.conversationId}
          onClose={() => setSearch(undefined)}
        />
      )}
      <Toast />
    </div>
  );
}
