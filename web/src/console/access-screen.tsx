/** @module Access (admins): give a user the staff or admin role, or take it back; the server refuses anyone but an admin. */
import { useState } from "preact/hooks";
import type { OpsActor, OpsReply } from "../../../src/protocol/index.js";
import { ErrorNote, Section } from "./console-parts.js";
import { type ConsoleKey, ct } from "./console-text.js";
import { useAction, useConsole } from "./use-ops.js";

const ROLES = ["user", "staff", "admin"] as const;

export function AccessScreen() {
  const { api } = useConsole();
  const action = useAction();
  const [done, setDone] = useState<OpsActor | undefined>(undefined);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(data.get("username") ?? "")
      .trim()
      .replace(/^@/, "")
      .toLowerCase();
    setDone(undefined);
    void action.run(async () => {
      const path = `/users/${encodeURIComponent(username)}/role`;
      const reply = await api.send<OpsReply<"PUT /users/:username/role">>("PUT", path, { role: data.get("role") });
      setDone(reply.user);
    });
  };
  return (
    <div class="screen">
      <Section id="access" title={ct("access.title")}>
        <p class="hint">{ct("access.hint")}</p>
        <form class="console-form row" onSubmit={submit}>
          <label>
            {ct("access.username")}
            <input name="username" required maxLength={32} autoComplete="off" />
          </label>
          <label>
            {ct("access.role")}
            <select name="role">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ct(`role.${r}` as ConsoleKey)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" class="primary" disabled={action.busy}>
            {ct("access.submit")}
          </button>
        </form>
        <ErrorNote error={action.error} />
        {done && (
          <p class="closed" role="status">
            {ct("access.done", { username: done.username, role: ct(`role.${done.role}` as ConsoleKey) })}
          </p>
        )}
      </Section>
    </div>
  );
}
