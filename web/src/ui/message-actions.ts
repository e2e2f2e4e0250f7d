/** @module What can be done with messages from the log (reply, edit, select, forward), and copying their text. */
import type { Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { timeOf } from "./format.js";

/** The chat screen's answers to a message's menu and to selection. */
export interface MessageActions {
  reply(message: Message): void;
  edit(message: Message): void;
  /** Enter selection mode with this message, or toggle it when selecting. */
  select(message: Message): void;
  forward(seqs: number[]): void;
}

/** The seqs of the chosen messages, in selection mode. */
export type Selection = ReadonlySet<number>;

/** Several messages as plain text, one per line: "[time] name: text". */
export function messagesAsText(messages: readonly Message[], nameOf: (userId: string) => string): string {
  return messages
    .map(
      (m) =>
        `[${timeOf(m.createdAt)}] ${nameOf(m.senderId)}: ${m.text || t("files.count", { n: m.files?.length ?? 0 })}`,
    )
    .join("\n");
}

/** Put text on the clipboard; resolves false when the browser refuses. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older browsers, or a page without clipboard permission: the textarea-and-execCommand way.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
