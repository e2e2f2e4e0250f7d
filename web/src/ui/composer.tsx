/** @module The composer: Enter sends (never during IME composition), Shift+Enter breaks the line; reply, edit and @mention suggestions. */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Conversation, User } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { startUpload, type Upload } from "../state/uploads.js";
import type { ComposerMode } from "./chat-screen.js";
import { Icon } from "./icons.js";
import { insertMention, mentionAt, mentionOptions } from "./mentions.js";
import { userName } from "./names.js";
import { useStore } from "./store-context.js";
import { TextCounter, textLength, textLimit } from "./text-counter.js";

/** Unsent text per conversation, kept while the user looks elsewhere. */
const drafts = new Map<string, string>();

export function Composer({
  conversation,
  mode,
  onDone,
}: {
  conversation: Conversation;
  mode: ComposerMode;
  onDone(): void;
}) {
  const store = useStore();
  const id = conversation.id;
  const area = useRef<HTMLTextAreaElement>(null);
  const composing = useRef(false);
  const nextCaret = useRef<number | undefined>(undefined);
  const [text, setText] = useState(() => drafts.get(id) ?? "");
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [closedAt, setClosedAt] = useState<number | undefined>();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const picker = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  /** Upload each file at once; the message is sent with them when all are done. */
  const attach = (files: Iterable<File>) => {
    const started = [...files].map((file) =>
      startUpload(store.session.token, file, file.name || "file", () => setUploads((list) => [...list])),
    );
    if (started.length > 0) setUploads((list) => [...list, ...started]);
  };
  const removeUpload = (upload: Upload) => {
    upload.cancel();
    setUploads((list) => list.filter((u) => u !== upload));
  };
  // A failed upload (refused: too large, over quota) must be removed before sending; files still
  // uploading (or waiting for the network) go with the message into the outbox, which finishes them.
  const blocked = uploads.some((u) => u.state === "failed");
  const attached = uploads.filter((u) => u.state === "done" && u.file).map((u) => u.file?.id as string);
  const stillUploading = uploads.filter((u) => u.state === "uploading");
  const hasFiles = attached.length > 0 || stillUploading.length > 0;

  useEffect(() => {
    if (mode.kind === "edit") setText(mode.message.text);
    area.current?.focus();
  }, [mode]);
  useLayoutEffect(() => {
    const el = area.current;
    if (el && nextCaret.current !== undefined) {
      el.setSelectionRange(nextCaret.current, nextCaret.current);
      nextCaret.current = undefined;
    }
  });

  const query = mentionAt(text, caret);
  const members = conversation.memberIds
    .filter((userId) => userId !== store.me)
    .map((userId) => store.directory.user(userId))
    .filter((user): user is User => user !== undefined);
  const options =
    query && query.start !== closedAt
      ? mentionOptions(query.query, members, conversation.kind === "group", t("composer.everyone"))
      : [];
  const listId = `mentions-${id}`;
  const current = Math.min(active, options.length - 1);

  const update = (value: string) => {
    setText(value);
    setCaret(area.current?.selectionStart ?? value.length);
    setActive(0);
    if (mode.kind !== "edit") drafts.set(id, value);
    if (value.trim() !== "") store.typed(id);
  };
  const pick = (username: string) => {
    if (!query) return;
    const next = insertMention(text, query, caret, username);
    nextCaret.current = next.caret;
    setCaret(next.caret);
    update(next.text);
    area.current?.focus();
  };
  const cancel = () => {
    if (mode.kind === "edit") setText(drafts.get(id) ?? "");
    onDone();
  };
  const submit = () => {
    const value = text.trim();
    // Past the limit the counter says why; Enter must not send what the server would refuse.
    if (!store.ready || blocked || textLength(value) > textLimit()) return;
    if (mode.kind !== "edit" && hasFiles) {
      // The composer's uploads stop here; the outbox resumes each from what the server has.
      for (const upload of stillUploading) upload.pause();
      const pending = stillUploading.map((u) => ({ name: u.name, blob: u.blob, ...(u.url ? { url: u.url } : {}) }));
      store.send(id, value, mode.kind === "reply" ? mode.message.seq : undefined, attached, pending);
      setUploads([]);
      setText("");
      drafts.delete(id);
      onDone();
      return;
    }
    if (value === "") return;
    if (mode.kind === "edit") {
      if (value !== mode.message.text) void store.edit(id, mode.message.seq, value);
      setText(drafts.get(id) ?? "");
    } else {
      store.send(id, value, mode.kind === "reply" ? mode.message.seq : undefined);
      setText("");
      drafts.delete(id);
    }
    onDone();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    // While an IME composes (Korean, Japanese, Chinese), Enter confirms the syllable: it must not
    // send. Chrome and Firefox say so with isComposing; Safari sends keyCode 229 after compositionend.
    if (event.isComposing || composing.current || event.keyCode === 229) return;
    if (options.length > 0 && query) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : options.length - 1;
        setActive((current + step) % options.length);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick((options[current] ?? options[0])?.username ?? "");
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        setClosedAt(query.start);
        return;
      }
    }
    if (event.key === "Escape" && mode.kind !== "new") {
      event.preventDefault();
      cancel();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  };

  return (
    <form
      class={`composer${dragging ? " dragging" : ""}`}
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      onDragOver={(event) => {
        if (mode.kind === "edit" || !event.dataTransfer?.types.includes("Files")) return;
        event.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        setDragging(false);
        if (mode.kind === "edit" || !event.dataTransfer?.files.length) return;
        event.preventDefault();
        attach(event.dataTransfer.files);
      }}
    >
      {uploads.length > 0 && (
        <ul class="uploads" aria-label={t("files.attach")}>
          {uploads.map((upload) => (
            <li key={upload.key} class={`upload ${upload.state}`} data-state={upload.state}>
              <span class="upload-name">{upload.name}</span>
              {upload.state === "uploading" && (
                <progress max={1} value={upload.progress} aria-label={t("files.uploading", { name: upload.name })} />
              )}
              {upload.state === "failed" && (
                <span class="upload-error" role="alert">
                  {upload.error === "file_too_large"
                    ? t("files.tooLarge", { name: upload.name })
                    : t("files.failed", { name: upload.name })}
                </span>
              )}
              <button
                type="button"
                class="icon-button"
                onClick={() => removeUpload(upload)}
                aria-label={t("files.remove", { name: upload.name })}
              >
                <Icon name="close" size={16} />
              </button>
            </li>
          ))}
        </ul>
      )}
      <TextCounter text={text} />
      {mode.kind !== "new" && (
        <div class="composer-mode">
          <span>
            {mode.kind === "edit" ? (
              t("composer.editing")
            ) : (
              <>
                {t("composer.replying", { name: userName(store, mode.message.senderId) })}
                <q>{mode.message.text}</q>
              </>
            )}
          </span>
          <button
            type="button"
            class="icon-button"
            onClick={cancel}
            aria-label={mode.kind === "edit" ? t("composer.cancelEdit") : t("composer.cancelReply")}
          >
            <Icon name="close" size={18} />
          </button>
        </div>
      )}
      {options.length > 0 && (
        <div id={listId} class="mention-options" role="listbox" aria-label={t("composer.suggestions")}>
          {options.map((option, i) => (
            // Focus stays in the textarea (aria-activedescendant points here), so options take none.
            <div
              key={option.username}
              id={`${listId}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === current}
              onMouseDown={(event) => {
                event.preventDefault();
                pick(option.username);
              }}
            >
              {option.label}
            </div>
          ))}
        </div>
      )}
      <div class="composer-row">
        {mode.kind !== "edit" && (
          <>
            <button
              type="button"
              class="icon-button attach"
              onClick={() => picker.current?.click()}
              aria-label={t("files.attach")}
            >
              <Icon name="attach" size={22} />
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              data-testid="attach-input"
              onChange={(event) => {
                const input = event.currentTarget as HTMLInputElement;
                if (input.files) attach(input.files);
                input.value = "";
              }}
            />
          </>
        )}
        <textarea
          ref={area}
          rows={1}
          value={text}
          placeholder={t("composer.placeholder")}
          aria-label={t("composer.label")}
          aria-autocomplete="list"
          aria-controls={options.length > 0 ? listId : undefined}
          aria-activedescendant={options.length > 0 ? `${listId}-${current}` : undefined}
          onInput={(event) => update((event.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
          onKeyUp={() => setCaret(area.current?.selectionStart ?? 0)}
          onClick={() => setCaret(area.current?.selectionStart ?? 0)}
          onPaste={(event) => {
            const files = event.clipboardData?.files;
            if (mode.kind === "edit" || !files || files.length === 0) return;
            event.preventDefault();
            attach(files);
          }}
          onCompositionStart={() => {
            composing.current = true;
          }}
          onCompositionEnd={() => {
            composing.current = false;
          }}
        />
        <button
          type="submit"
          class="primary send"
          disabled={
            (text.trim() === "" && !hasFiles) || blocked || !store.ready || textLength(text.trim()) > textLimit()
          }
        >
          {mode.kind === "edit" ? t("composer.save") : t("composer.send")}
        </button>
      </div>
    </form>
  );
}
