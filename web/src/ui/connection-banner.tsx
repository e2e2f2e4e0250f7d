/** @module Connection honesty: says when messages cannot go out and that they will when the connection is back, and what the status page knows once it has been asked. */
import { t } from "../i18n/i18n.js";
import { untold } from "../state/status-summary.js";
import { OutageNotice } from "./outage-notice.js";
import { useStore } from "./store-context.js";

export function ConnectionBanner() {
  const store = useStore();
  const { online, connection } = store;
  const heard = online && connection !== "open" ? store.outage.report : undefined;
  // An incident the banner above shows is not told again here.
  const report = heard && untold(heard, store.incident);
  const text = !online
    ? t("conn.offline")
    : connection === "reconnecting"
      ? t("conn.reconnecting")
      : connection === "connecting" || connection === "idle"
        ? t("conn.connecting")
        : undefined;
  // The live region stays in the page so that screen readers announce it when it fills.
  return (
    <div
      class="banner connection"
      role="status"
      data-state={online ? connection : "offline"}
      data-outage={report?.kind}
      hidden={!text}
    >
      {report ? <OutageNotice report={report} unsent={store.client.pending.length} /> : text}
    </div>
  );
}
