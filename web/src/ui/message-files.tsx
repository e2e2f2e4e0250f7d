/** @module The files of a message: photos in their boxes (sized from the stored dimensions, so nothing jumps), a lightbox, and cards for other files. */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { FileInfo } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { isPhoto, saveFile, sizeText } from "../state/uploads.js";
import { usePhoto } from "./avatar.js";
import { Icon } from "./icons.js";
import { useStore } from "./store-context.js";

/** The widest a photo is shown in a bubble, in CSS pixels. */
const PHOTO_WIDTH = 240;

/** An image read with the token; its box is reserved before the bytes arrive (a link preview's image too). */
export function AuthImage({ path, alt, width, height }: { path: string; alt: string; width: number; height: number }) {
  const src = usePhoto(path);
  return <img src={src} alt={alt} width={width} height={height} style={{ aspectRatio: `${width} / ${height}` }} />;
}

/**
 * The full photos of a message, one at a time: Escape closes, arrows (and swipes) move. Modal for
 * the keyboard too: Tab stays among its buttons, and closing puts the focus back on what opened
 * it, so a keyboard user keeps their place in the chat.
 */
function Lightbox({ photos, start, onClose }: { photos: FileInfo[]; start: number; onClose(): void }) {
  const [index, setIndex] = useState(start);
  const dialog = useRef<HTMLDialogElement>(null);
  const touchX = useRef<number | undefined>(undefined);
  const photo = photos[index] as FileInfo;
  const move = (step: number) => setIndex((i) => (i + step + photos.length) % photos.length);
  // A modal <dialog> is drawn in the top layer: over everything, whatever box the row is in
  // (the log's list is a layer of its own, which would hold a fixed-position viewer inside it).
  // Closing gives the focus back to what opened it.
  useLayoutEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    element.focus();
    return () => {
      element.close();
      opener?.focus();
    };
  }, []);
  const trapTab = (event: KeyboardEvent) => {
    const buttons = [...(dialog.current?.querySelectorAll<HTMLElement>("button") ?? [])];
    const first = buttons[0];
    const last = buttons.at(-1);
    if (!first || !last) return;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === dialog.current)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return (
    <dialog
      ref={dialog}
      class="lightbox"
      aria-label={t("files.lightbox")}
      tabIndex={-1}
      onCancel={(event) => {
        // Escape: closed by the app (the browser would only hide it).
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") onClose();
        else if (event.key === "Tab") trapTab(event);
        else if (event.key === "ArrowRight") move(1);
        else if (event.key === "ArrowLeft") move(-1);
      }}
      onTouchStart={(event) => {
        touchX.current = event.touches[0]?.clientX;
      }}
      onTouchEnd={(event) => {
        const end = event.changedTouches[0]?.clientX;
        if (touchX.current !== undefined && end !== undefined && Math.abs(end - touchX.current) > 40) {
          move(end < touchX.current ? 1 : -1);
        }
        touchX.current = undefined;
      }}
    >
      <AuthImage path={photo.url} alt={photo.name} width={photo.width ?? 1} height={photo.height ?? 1} />
      <div class="lightbox-bar">
        <span>
          {photo.name} {photos.length > 1 && `${index + 1}/${photos.length}`}
        </span>
        {photos.length > 1 && (
          <>
            <button type="button" onClick={() => move(-1)} aria-label={t("files.previous")}>
              ‹
            </button>
            <button type="button" onClick={() => move(1)} aria-label={t("files.next")}>
              ›
            </button>
          </>
        )}
        <button type="button" onClick={onClose} aria-label={t("files.close")}>
          <Icon name="close" size={20} />
        </button>
      </div>
    </dialog>
  );
}

export function MessageFiles({ files }: { files: FileInfo[] }) {
  const store = useStore();
  const [open, setOpen] = useState<number | undefined>();
  const photos = files.filter(isPhoto);
  const others = files.filter((f) => !isPhoto(f));
  return (
    <div class="msg-files">
      {photos.length > 0 && (
        <div class={`photo-grid n${Math.min(photos.length, 3)}`}>
          {photos.map((photo, i) => {
            const width = Math.min(PHOTO_WIDTH, photo.width ?? PHOTO_WIDTH);
            const height = Math.round((width * (photo.height ?? 1)) / (photo.width ?? 1));
            return (
              <button
                key={photo.id}
                type="button"
                class="photo"
                aria-label={t("files.open", { name: photo.name })}
                onClick={() => setOpen(i)}
              >
                <AuthImage path={photo.thumbnailUrl as string} alt={t("files.photo")} width={width} height={height} />
              </button>
            );
          })}
        </div>
      )}
      {others.map((file) => (
        <button
          key={file.id}
          type="button"
          class="file-card"
          aria-label={t("files.download", { name: file.name })}
          onClick={() => void saveFile(store.session.token, file)}
        >
          <Icon name="file" size={28} />
          <span class="file-name">{file.name}</span>
          <span class="file-size">{sizeText(file.size)}</span>
        </button>
      ))}
      {open !== undefined && <Lightbox photos={photos} start={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
