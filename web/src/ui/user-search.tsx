/** @module Find a user by username: a small form shared by the new-chat and contacts screens. */
import { useState } from "preact/hooks";
import type { User } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { useStore } from "./store-context.js";

export function UserSearch({ onFound }: { onFound(user: User | undefined): void }) {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const find = async (event: SubmitEvent) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem("username") as HTMLInputElement;
    const username = input.value.trim().replace(/^@/, "").toLowerCase();
    if (!username) return;
    setBusy(true);
    onFound(await store.directory.find(username));
    setBusy(false);
  };
  return (
    <form class="search" onSubmit={find}>
      <label>
        {t("new.search")}
        <input name="username" autoCapitalize="none" spellcheck={false} autoComplete="off" required />
      </label>
      <button type="submit" disabled={busy}>
        {t("new.find")}
      </button>
    </form>
  );
}
