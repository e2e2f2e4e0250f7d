/** @module Settings for notifications: this browser's push subscription, quiet hours and hiding message text (the last two on every device). */
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { useStore } from "./store-context.js";

/** `HH:MM` of minutes after midnight, for `<input type="time">`. */
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
const minutesOf = (text: string) => {
  const [h = "0", m = "0"] = text.split(":");
  return (Number(h) * 60 + Number(m)) % 1440;
};

export function NotifySettings() {
  const store = useStore();
  const { settings } = store.notify;
  const push = store.attention.push;
  const [from, setFrom] = useState(hhmm(settings.dnd?.start ?? 22 * 60));
  const [to, setTo] = useState(hhmm(settings.dnd?.end ?? 7 * 60));
  // Another device may change the hours: show what the server holds.
  useEffect(() => {
    if (settings.dnd) {
      setFrom(hhmm(settings.dnd.start));
      setTo(hhmm(settings.dnd.end));
    }
  }, [settings.dnd?.start, settings.dnd?.end]);

  const saveHours = (event: SubmitEvent) => {
    event.preventDefault();
    void store.notify.update({ dnd: { start: minutesOf(from), end: minutesOf(to) } });
  };

  return (
    <section class="notify-settings" aria-labelledby="notify-title">
      <h2 id="notify-title">{t("notify.title")}</h2>
      <p class="muted" aria-live="polite">
        {t(`notify.push.${push}`)}
      </p>
      {push === "on" ? (
        <button type="button" class="push-button" onClick={() => void store.attention.disablePush()}>
          {t("notify.push.disable")}
        </button>
      ) : (
        push !== "unsupported" &&
        push !== "denied" && (
          <button type="button" class="push-button" onClick={() => void store.attention.enablePush()}>
            {t("notify.push.enable")}
          </button>
        )
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={settings.hideText}
          onChange={(event) =>
            void store.notify.update({ hideText: (event.currentTarget as HTMLInputElement).checked })
          }
        />
        {t("notify.hideText")}
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={settings.mentionsInQuietHours}
          onChange={(event) =>
            void store.notify.update({ mentionsInQuietHours: (event.currentTarget as HTMLInputElement).checked })
          }
        />
        {t("notify.mentionsInQuietHours")}
      </label>
      <form class="quiet-hours" onSubmit={saveHours} aria-labelledby="quiet-title">
        <h3 id="quiet-title">{t("notify.quiet")}</h3>
        <p class="muted">
          {settings.dnd
            ? t("notify.quietOn", { from: hhmm(settings.dnd.start), to: hhmm(settings.dnd.end) })
            : t("notify.quietOff")}
        </p>
        <label>
          {t("notify.quietFrom")}
          <input
            type="time"
            name="from"
            value={from}
            required
            onInput={(e) => setFrom((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t("notify.quietTo")}
          <input
            type="time"
            name="to"
            value={to}
            required
            onInput={(e) => setTo((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <div class="row">
          <button type="submit">{t("notify.quietSave")}</button>
          {settings.dnd && (
            <button type="button" class="quiet" onClick={() => void store.notify.update({ dnd: null })}>
              {t("notify.quietClear")}
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
