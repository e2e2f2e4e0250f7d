/** @module Connection honesty: says when messages cannot go out and that they will when the connection is back. */
import { t } from "../i18n/i18n.js";
import { useStore } from "./store-context.js";

export function ConnectionBanner() {
  const store = useStore();
  const { online, connection } = store;
  const text = !online
    ? t("conn.offline")
    : connection === "reconnecting"
      ? t("conn.reconnecting")
      : connection === "connecting" || connection === "idle"
        ? t("conn.connecting")
        : undefined;
  // The live region stays in the page so that screen readers announce it when it fills.
  return (
    <div class="banner connection" role="status" data-state={online ? connection : "offline"} hidden={!text}>
      {text}
    </div>
  );
}
