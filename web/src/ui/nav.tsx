/** @module The main navigation: chats, contacts, devices, settings. */
import { type TextKey, t } from "../i18n/i18n.js";
import { Icon, type IconName } from "./icons.js";
import { onLinkClick, type Route } from "./router.js";

const ITEMS: { name: Route["name"] & IconName; path: string; label: TextKey }[] = [
  { name: "chats", path: "/", label: "nav.chats" },
  { name: "contacts", path: "/contacts", label: "nav.contacts" },
  { name: "devices", path: "/devices", label: "nav.devices" },
  { name: "settings", path: "/settings", label: "nav.settings" },
];

export function Nav({ route }: { route: Route }) {
  const current = route.name === "chat" || route.name === "new" ? "chats" : route.name;
  return (
    <nav class="nav" aria-label={t("nav.label")}>
      {ITEMS.map((item) => (
        <a
          key={item.name}
          href={item.path}
          onClick={onLinkClick}
          aria-current={item.name === current ? "page" : undefined}
        >
          <Icon name={item.name} />
          {t(item.label)}
        </a>
      ))}
    </nav>
  );
}
