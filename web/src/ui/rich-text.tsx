/** @module Message text with @mentions highlighted and web links made clickable; everything else stays plain text. */
import type { JSX } from "preact";

/** A mention (as the server parses them) or an http(s) link. */
const TOKEN = /(^|[^a-zA-Z0-9_.@])@([a-zA-Z0-9_][a-zA-Z0-9_.]{1,31})|(https?:\/\/[^\s<>"]+)/g;

/**
 * Text is only ever rendered as text nodes (never as HTML), so a message cannot inject markup.
 * `members` maps lowercased usernames of the conversation's members; `me` is mine, highlighted
 * more strongly.
 */
export function RichText({ text, members, me }: { text: string; members: ReadonlySet<string>; me: string }) {
  const parts: (string | JSX.Element)[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    const url = match[3];
    if (url) {
      const clean = url.replace(/[.,;:!?)\]]+$/, "");
      parts.push(text.slice(last, index));
      parts.push(
        <a href={clean} target="_blank" rel="noopener noreferrer">
          {clean}
        </a>,
      );
      last = index + clean.length;
      continue;
    }
    const name = (match[2] ?? "").toLowerCase().replace(/\.+$/, "");
    if (name !== "all" && !members.has(name)) continue;
    const start = index + (match[1] ?? "").length;
    const end = start + 1 + name.length;
    parts.push(text.slice(last, start));
    parts.push(<mark class={name === me || name === "all" ? "mention me" : "mention"}>{text.slice(start, end)}</mark>);
    last = end;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}
