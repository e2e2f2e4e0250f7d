/** @module The console's root: sign in (the chat's account and saved device), ask the server who we are, then the console or "staff only". */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { OpsActor, OpsReply } from "../../../src/protocol/index.js";
import { logout } from "../../../src/sdk/http.js";
import { OpsApi } from "../../../src/sdk/ops-api.js";
import type { HaetaeRequestError } from "../../../src/sdk/request-error.js";
import { i18n } from "../i18n/i18n.js";
import { clearUserData } from "../state/persist.js";
import { clearSession, loadSession, type Session, saveSession } from "../state/session.js";
import { AuthScreen } from "../ui/auth-screen.js";
import { LanguageSelect } from "../ui/language-select.js";
import { useObservable } from "../ui/use-observable.js";
import { ErrorNote } from "./console-parts.js";
import { ConsoleShell } from "./console-shell.js";
import { ct } from "./console-text.js";
import { ConsoleContext } from "./use-ops.js";

export function ConsoleApp() {
  useObservable(i18n);
  // The same saved device as the chat app (same origin, same storage): signed in there, signed in here.
  const [session, setSession] = useState(loadSession);
  const [ended, setEnded] = useState(false);
  if (!session) {
    return (
      <AuthScreen
        sessionEnded={ended}
        onSignedIn={(next) => {
          saveSession(next);
          setEnded(false);
          setSession(next);
        }}
      />
    );
  }
  const signOut = (byServer: boolean) => {
    if (!byServer) {
      void logout(location.origin, session.token).catch(() => undefined);
      // Like the chat's log out: a shared computer keeps nothing of the user.
      void clearUserData(session.user.id);
    }
    clearSession();
    setEnded(byServer);
    setSession(undefined);
  };
  return <Gate key={session.token} session={session} onSignedOut={signOut} />;
}

type Check =
  | { kind: "checking" }
  | { kind: "staff"; actor: OpsActor }
  | { kind: "forbidden"; error: HaetaeRequestError }
  | { kind: "failed"; error: HaetaeRequestError };

/** Asks `GET /me`; the server's answer decides what is shown, never the role saved in the browser. */
function Gate({ session, onSignedOut }: { session: Session; onSignedOut(byServer: boolean): void }) {
  const api = useMemo(() => new OpsApi(session.token), [session.token]);
  const [check, setCheck] = useState<Check>({ kind: "checking" });
  const [attempt, setAttempt] = useState(0);
  // `attempt` is the retry signal: a new attempt asks the server again.
  useEffect(() => {
    api
      .get<OpsReply<"GET /me">>("/me")
      .then(({ user }) => setCheck({ kind: "staff", actor: user }))
      .catch((error: HaetaeRequestError) => {
        if (error.code === "unauthorized") onSignedOut(true);
        else if (error.code === "forbidden") setCheck({ kind: "forbidden", error });
        else setCheck({ kind: "failed", error });
      });
  }, [api, attempt]);
  const context = useMemo(() => (check.kind === "staff" ? { api, actor: check.actor } : null), [api, check]);

  if (check.kind === "checking") return <p class="console-center muted">{ct("checking")}</p>;
  if (check.kind === "forbidden") {
    return <StaffOnly username={session.user.username} error={check.error} onSignOut={() => onSignedOut(false)} />;
  }
  if (check.kind === "failed") {
    return (
      <main class="console-center">
        <h1>{ct("app.title")}</h1>
        <ErrorNote error={check.error} />
        <button type="button" class="primary" onClick={() => setAttempt((n) => n + 1)}>
          {ct("retry")}
        </button>
      </main>
    );
  }
  return (
    <ConsoleContext.Provider value={context}>
      <ConsoleShell onSignOut={() => onSignedOut(false)} />
    </ConsoleContext.Provider>
  );
}

/** What a signed-in user without a staff role sees: the server refused, and this says so plainly. */
function StaffOnly({ username, error, onSignOut }: { username: string; error: HaetaeRequestError; onSignOut(): void }) {
  return (
    <main class="console-center staff-only">
      <h1>{ct("staffOnly.title")}</h1>
      <p>{ct("staffOnly.body", { username })}</p>
      <p class="muted">
        {ct("staffOnly.server")} <code>{error.code}</code> — {error.message}
      </p>
      <p class="muted">{ct("staffOnly.ask")}</p>
      <div class="actions">
        <a href="/" class="button-link">
          {ct("staffOnly.back")}
        </a>
        <button type="button" onClick={onSignOut}>
          {ct("signOut")}
        </button>
      </div>
      <LanguageSelect />
    </main>
  );
}
