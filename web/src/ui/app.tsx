/** @module The root: the login screen, or the signed-in app with its store. */
import { useEffect, useState } from "preact/hooks";
import { i18n } from "../i18n/i18n.js";
import { AppStore } from "../state/app-store.js";
import { clearUserData } from "../state/persist.js";
import { clearSession, loadSession, type Session, saveSession } from "../state/session.js";
import { AuthScreen } from "./auth-screen.js";
import { navigate } from "./router.js";
import { Shell } from "./shell.js";
import { StoreContext } from "./store-context.js";
import { useObservable } from "./use-observable.js";

/** The close code of a revoked device (CLOSE_CODES.sessionRevoked). */
const REVOKED = 4501;

export function App() {
  useObservable(i18n);
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
    clearSession();
    setEnded(byServer);
    setSession(undefined);
    navigate("/", true);
  };
  return <SignedIn key={session.deviceId} session={session} onSignedOut={signOut} />;
}

function SignedIn({ session, onSignedOut }: { session: Session; onSignedOut(byServer: boolean): void }) {
  const [store] = useState(
    () =>
      new AppStore(session, (closeCode) => {
        // A revoked device may be a lost one: it keeps nothing. An expired token keeps the
        // outbox, so what was typed goes out after the next login.
        if (closeCode === REVOKED) void clearUserData(session.user.id);
        onSignedOut(true);
      }),
  );
  useEffect(() => {
    void store.start();
    return () => store.dispose();
  }, [store]);
  useObservable(store);
  return (
    <StoreContext.Provider value={store}>
      <Shell onLogout={() => void store.logout().then(() => onSignedOut(false))} />
    </StoreContext.Provider>
  );
}
