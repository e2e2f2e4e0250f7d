/** @module The header of a page in the main pane, with the way back to the list on a phone. */
import { t } from "../i18n/i18n.js";
import { Icon } from "./icons.js";
import { onLinkClick } from "./router.js";

export function ScreenHeader({ title }: { title: string }) {
  return (
    <header class="bar">
      <a href="/" class="icon-button back" onClick={onLinkClick} aria-label={t("nav.back")}>
        <Icon name="back" />
      </a>
      <h2 id="page-title">{title}</h2>
    </header>
  );
}
