/** @module A system line in the chat: a group change worded in the UI's language ("민수 님이 지수 님을 초대했습니다"). */
import type { SystemLine as Line, Message } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import type { AppStore } from "../state/app-store.js";
import { timeOf } from "./format.js";
import { userName } from "./names.js";
import { useStore } from "./store-context.js";

/** The words of a system line, with the names as the directory knows them. */
export function systemText(store: AppStore, actorId: string, line: Line): string {
  const actor = userName(store, actorId);
  const names = line.userIds.map((id) => userName(store, id)).join(", ");
  switch (line.action) {
    case "added":
      return t("system.added", { actor, names });
    case "joined":
      return t("system.joined", { actor });
    case "removed":
      return t("system.removed", { actor, names });
    case "left":
      return t("system.left", { actor });
    case "renamed":
      return t("system.renamed", { actor, title: line.title ?? "" });
    case "photo":
      return t("system.photo", { actor });
    case "role":
      return t(line.role === "admin" ? "system.admin" : "system.member", { actor, names });
    case "owner":
      return t("system.owner", { actor, names });
  }
}

/** `rowKey` names the row for the windowed log's height measurements (message-list.tsx). */
export function SystemLine({ message, rowKey }: { message: Message & { system: Line }; rowKey?: string }) {
  const store = useStore();
  return (
    <li class="system-line" data-key={rowKey}>
      <span>{systemText(store, message.senderId, message.system)}</span>{" "}
      <time dateTime={message.createdAt}>{timeOf(message.createdAt)}</time>
    </li>
  );
}
