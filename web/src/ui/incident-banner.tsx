/** @module The incident banner: what the server says is wrong, in the UI's language, with a link to the status page. */
import { i18n, t } from "../i18n/i18n.js";
import { Icon } from "./icons.js";
import { useStore } from "./store-context.js";

export function IncidentBanner() {
  const store = useStore();
  const incident = store.incident;
  if (!incident) return null;
  return (
    <section class="banner incident" data-impact={incident.impact} role="alert" aria-label={t("incident.label")}>
      {/* Servers before `titles` send only the English title. */}
      <strong>{incident.titles?.[i18n.lang] ?? incident.title}</strong>
      <span class="incident-status">{t(`incident.status.${incident.status}`)}</span>
      <a href={incident.url} target="_blank" rel="noopener noreferrer">
        {t("incident.more")}
      </a>
      <button
        type="button"
        class="icon-button"
        aria-label={t("incident.dismiss")}
        onClick={() => store.dismissIncident()}
      >
        <Icon name="close" size={18} />
      </button>
    </section>
  );
}
