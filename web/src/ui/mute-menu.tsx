/** @module A chat's notification menu in its header: mute for 1 h, 8 h or until turned on, unmute, and whether mentions still notify. */
import { useEffect, useRef, useState } from "preact/hooks";
import { isMuted, MUTED_FOREVER } from "../../../src/protocol/notify-rules.js";
import { t } from "../i18n/i18n.js";
import type { MuteDuration } from "../state/notify-prefs.js";
import { whenFull } from "./format.js";
import { Icon } from "./icons.js";
import { useStore } from "./store-context.js";

export function MuteMenu({ conversationId, group }: { conversationId: string; group: boolean }) {
  const store = useStore();
  const [open, setOpen] = useState(false);
  const panel = useRef<HTMLFieldSetElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const mute = store.notify.mute(conversationId);
  const muted = isMuted(mute, new Date());
  const label = !muted
    ? t("mute.on")
    : mute?.mutedUntil === MUTED_FOREVER
      ? t("mute.untilOn")
      : t("mute.until", { time: whenFull(mute?.mutedUntil ?? "") });

  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>("button, input")?.focus();
    const outside = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const close = () => {
    setOpen(false);
    queueMicrotask(() => button.current?.focus());
  };
  // The menu closes at once, focus back on the bell; the bell's label follows when the change is stored.
  const choose = (duration: MuteDuration) => () => {
    close();
    void store.notify.setMute(conversationId, duration);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  };

  return (
    <div class="mute-menu">
      <button
        ref={button}
        type="button"
        class="icon-button"
        aria-expanded={open}
        aria-controls={`mute-${conversationId}`}
        aria-label={t("mute.button", { state: label })}
        title={label}
        onClick={() => setOpen(!open)}
      >
        <Icon name={muted ? "bellOff" : "bell"} />
      </button>
      {open && (
        <fieldset ref={panel} id={`mute-${conversationId}`} class="menu mute-panel" onKeyDown={onKeyDown}>
          <legend class="visually-hidden">{t("mute.title")}</legend>
          <p class="muted" aria-live="polite">
            {label}
          </p>
          <button type="button" onClick={choose("1h")}>
            {t("mute.for1h")}
          </button>
          <button type="button" onClick={choose("8h")}>
            {t("mute.for8h")}
          </button>
          <button type="button" onClick={choose("forever")}>
            {t("mute.forever")}
          </button>
          {muted && (
            <button type="button" onClick={choose("off")}>
              {t("mute.off")}
            </button>
          )}
          {group && (
            <label class="check">
              <input
                type="checkbox"
                checked={mute?.mentionsOverrideMute ?? true}
                onChange={(event) =>
                  void store.notify.setMute(
                    conversationId,
                    muted ? durationLeft(mute?.mutedUntil) : "off",
                    (event.currentTarget as HTMLInputElement).checked,
                  )
                }
              />
              {t("mute.mentions")}
            </label>
          )}
        </fieldset>
      )}
    </div>
  );
}

/**
 * Changing only the mention setting must not change how long the chat stays muted: the request
 * always names a duration, so the nearest one that does not end the mute sooner is sent again.
 */
function durationLeft(mutedUntil: string | null | undefined): MuteDuration {
  if (!mutedUntil || mutedUntil === MUTED_FOREVER) return "forever";
  const left = Date.parse(mutedUntil) - Date.now();
  return left <= 3_600_000 ? "1h" : left <= 8 * 3_600_000 ? "8h" : "forever";
}
