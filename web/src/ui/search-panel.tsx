/** @module The search dialog: a box over every chat or one chat, results with the matches marked, and a click that opens the message in context. */
import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { SearchResult } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { MessageSearch, NO_FILTERS, type SearchFilters } from "../state/message-search.js";
import { whenFull } from "./format.js";
import { Icon } from "./icons.js";
import { conversationTitle, userName } from "./names.js";
import { navigate } from "./router.js";
import { useStore } from "./store-context.js";

/** Asks the shell to open the search: `detail` is the conversation to search in, or undefined for every chat. */
export const SEARCH_EVENT = "haetae:search";

/** Open the search dialog (from a button anywhere). */
export function openSearch(conversationId?: string): void {
  window.dispatchEvent(new CustomEvent(SEARCH_EVENT, { detail: conversationId }));
}

/** Wait this long after the last key before searching. */
const TYPING_MS = 250;

/** The text with each highlighted range in a <mark>. */
function Marked({ text, highlights }: { text: string; highlights: SearchResult["highlights"] }) {
  const parts: (string | JSX.Element)[] = [];
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    if (start < at || end > text.length) continue;
    parts.push(text.slice(at, start), <mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

export function SearchPanel({ conversationId, onClose }: { conversationId?: string | undefined; onClose(): void }) {
  const store = useStore();
  const [, rerender] = useState(0);
  const search = useMemo(
    () => new MessageSearch(store.call.bind(store), store.directory, () => rerender((n) => n + 1), conversationId),
    [store, conversationId],
  );
  const input = useRef<HTMLInputElement>(null);
  const [filters, setFilters] = useState<SearchFilters>(NO_FILTERS);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const opener = useRef(document.activeElement as HTMLElement | null);
  useEffect(() => {
    input.current?.focus();
    return () => clearTimeout(timer.current);
  }, []);

  const close = () => {
    onClose();
    opener.current?.focus?.();
  };
  const onInput = (value: string) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void search.run(value, filters), TYPING_MS);
  };
  /** A filter changed: search again at once, with what the box holds. */
  const filter = (change: Partial<SearchFilters>) => {
    const next = { ...filters, ...change };
    setFilters(next);
    clearTimeout(timer.current);
    void search.run(input.current?.value ?? "", next);
  };
  const open = (result: SearchResult) => {
    const { conversationId: id, seq } = result.message;
    onClose();
    navigate(`/c/${encodeURIComponent(id)}`);
    void store.jumpTo(id, seq).then((ok) => ok || store.say("info", "msg.quoteGone"));
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      // Arrows move between the box and the results.
      const items = [input.current, ...document.querySelectorAll<HTMLElement>(".search-results button.hit")];
      const at = items.indexOf(document.activeElement as HTMLElement);
      const next = items[Math.max(0, Math.min(items.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
      if (next) {
        event.preventDefault();
        next.focus();
      }
    }
  };

  const title = conversationId ? t("search.inChat") : t("search.all");
  const status = search.status;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions lint/a11y/useKeyWithClickEvents: a click outside closes, as Escape does from the keyboard
    <div class="search-backdrop" onClick={(event) => event.target === event.currentTarget && close()}>
      <div class="search-panel" role="dialog" aria-modal="true" aria-label={title} onKeyDown={onKeyDown}>
        <div class="search-head">
          <input
            ref={input}
            type="search"
            class="search-box"
            aria-label={title}
            placeholder={t("search.placeholder")}
            onInput={(event) => onInput(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter") {
                clearTimeout(timer.current);
                void search.run(event.currentTarget.value, filters);
              }
            }}
          />
          <button type="button" class="icon-button" onClick={close} aria-label={t("search.close")}>
            <Icon name="close" />
          </button>
        </div>
        <fieldset class="search-filters">
          <legend class="visually-hidden">{t("search.filters")}</legend>
          <label>
            <input
              type="checkbox"
              checked={filters.hasFile}
              onChange={(event) => filter({ hasFile: event.currentTarget.checked })}
            />{" "}
            {t("search.hasFile")}
          </label>
          <label>
            {t("search.from")}{" "}
            <input
              type="date"
              value={filters.from}
              max={filters.to || undefined}
              onChange={(event) => filter({ from: event.currentTarget.value })}
            />
          </label>
          <label>
            {t("search.to")}{" "}
            <input
              type="date"
              value={filters.to}
              min={filters.from || undefined}
              onChange={(event) => filter({ to: event.currentTarget.value })}
            />
          </label>
        </fieldset>
        <p class="search-status" aria-live="polite">
          {status === "searching"
            ? t("search.searching")
            : status === "short"
              ? t("search.short")
              : status === "unknownSender"
                ? t("search.unknownSender", { name: search.sender })
                : status === "badDate"
                  ? t("search.badDate", { text: search.badDate })
                  : status === "done" && search.results.length === 0
                    ? t("search.none")
                    : ""}
        </p>
        <ul class="search-results" aria-label={t("search.results")}>
          {search.results.map((result) => {
            const { message, conversation } = result;
            return (
              <li key={`${message.conversationId}:${message.seq}`}>
                <button type="button" class="hit" onClick={() => open(result)}>
                  <span class="hit-head">
                    {!conversationId && <strong>{conversationTitle(store, conversation)}</strong>}
                    <span>{userName(store, message.senderId)}</span>
                    <time dateTime={message.createdAt}>{whenFull(message.createdAt)}</time>
                    {message.files && (
                      <span class="hit-files" title={t("search.hasFile")}>
                        <Icon name="file" size={14} />
                        <span class="visually-hidden">{t("search.hasFile")}</span>
                      </span>
                    )}
                  </span>
                  <span class="hit-text">
                    <Marked text={message.text} highlights={result.highlights} />
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        {search.hasMore && (
          <button type="button" class="quiet" onClick={() => void search.more()}>
            {t("search.more")}
          </button>
        )}
      </div>
    </div>
  );
}
