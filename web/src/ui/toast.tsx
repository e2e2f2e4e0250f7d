/** @module Short notices (errors, confirmations), announced to screen readers and gone after a few seconds. */
import { useEffect } from "preact/hooks";
import { errorText, i18n } from "../i18n/i18n.js";
import { useStore } from "./store-context.js";

export function Toast() {
  const store = useStore();
  const notice = store.notice;
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => store.clearNotice(notice.id), 5000);
    return () => clearTimeout(timer);
  }, [notice, store]);
  const text =
    notice &&
    (notice.kind === "error"
      ? errorText(notice.code, notice.detail)
      : i18n.has(notice.code)
        ? i18n.t(notice.code)
        : notice.code);
  return (
    <div class="toast" role={notice?.kind === "error" ? "alert" : "status"} hidden={!notice}>
      {text}
    </div>
  );
}
