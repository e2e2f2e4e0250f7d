/** @module A round avatar: the person's or group's photo when they set one, their initials (or the group icon) until it loads or when they set none, and a presence dot when shown. */
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { objectUrl } from "../state/uploads.js";
import { Icon } from "./icons.js";
import { useStore } from "./store-context.js";

/** One of six colour classes (styles.css: white text on each is above 4.5:1), the same for the same seed. */
function colorOf(seed: string): string {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) | 0;
  return `c${Math.abs(hash) % 6}`;
}

/** The first letter (Korean syllable, emoji or Latin letter) of a name. */
function initial(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? "?";
}

/**
 * The photo at `path`, read with the token (an <img> cannot send the Bearer header); undefined
 * until it has loaded, and for good when it cannot be read (the initials stay). Photos in
 * messages and link previews are read through it too.
 */
export function usePhoto(path: string | undefined): string | undefined {
  const store = useStore();
  const [src, setSrc] = useState<string | undefined>();
  useEffect(() => {
    setSrc(undefined);
    if (!path) return;
    let live = true;
    objectUrl(store.session.token, path).then(
      (url) => live && setSrc(url),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [path]);
  return src;
}

export function Avatar({
  name,
  seed,
  online,
  group,
  photo,
}: {
  name: string;
  seed: string;
  online?: boolean;
  group?: boolean;
  /** The path of the photo's thumbnail (`photos.ts`), absent when there is none. */
  photo?: string | undefined;
}) {
  const src = usePhoto(photo);
  return (
    <span class={`avatar ${colorOf(seed)}${group ? " group" : ""}${src ? " has-photo" : ""}`} aria-hidden="true">
      {src ? <img class="avatar-photo" src={src} alt="" /> : group ? <Icon name="group" size={24} /> : initial(name)}
      {online !== undefined && (
        <span class={`dot${online ? " online" : ""}`} title={online ? t("chat.online") : t("chat.offline")} />
      )}
    </span>
  );
}
