/** @module Sign up and log in: one form, two modes. */
import { useState } from "preact/hooks";
import { type HaetaeRequestError, login, register } from "../../../src/sdk/index.js";
import { errorText, t } from "../i18n/i18n.js";
import { loadDeviceKey, type Session, saveDeviceKey } from "../state/session.js";
import { LanguageSelect } from "./language-select.js";

/** A device name a person recognises in their device list: "Chrome on Windows". */
function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrome\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Windows/.test(ua)
        ? "Windows"
        : /Mac OS/.test(ua)
          ? "macOS"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function deviceKeyOf(username: string): { deviceKey?: string } {
  const deviceKey = loadDeviceKey(username);
  return deviceKey ? { deviceKey } : {};
}

export function AuthScreen({
  sessionEnded,
  onSignedIn,
}: {
  sessionEnded: boolean;
  onSignedIn(session: Session): void;
}) {
  const [mode, setMode] = useState<"login" | "signup">("login");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const username = String(form.get("username") ?? "")
      .trim()
      .toLowerCase();
    const password = String(form.get("password") ?? "");
    const displayName = String(form.get("displayName") ?? "").trim();
    setBusy(true);
    setError(undefined);
    try {
      const reply =
        mode === "signup"
          ? await register(location.origin, { username, password, ...(displayName ? { displayName } : {}) })
          : await login(location.origin, {
              username,
              password,
              deviceName: deviceName(),
              ...deviceKeyOf(username),
            });
      saveDeviceKey(reply.user.username, reply.deviceKey);
      onSignedIn({ token: reply.token, user: reply.user, deviceId: reply.deviceId });
    } catch (thrown) {
      const { code, message } = thrown as HaetaeRequestError;
      setError(code === "weak_password" ? `${errorText(code)} ${message}` : errorText(code, message));
      setBusy(false);
    }
  };

  const signup = mode === "signup";
  return (
    <main class="auth">
      <div class="auth-card">
        <div class="auth-brand">
          <img src="/icon.svg" alt="" width="56" height="56" />
          <h1>{t("app.name")}</h1>
        </div>
        <p class="auth-tagline">{t("auth.tagline")}</p>
        {sessionEnded && (
          <p class="auth-note" role="status">
            {t("auth.sessionEnded")}
          </p>
        )}
        <h2>{signup ? t("auth.signup") : t("auth.login")}</h2>
        <form onSubmit={submit} aria-describedby={error ? "auth-error" : undefined}>
          <label>
            {t("auth.username")}
            <input
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellcheck={false}
              required
              minLength={3}
              maxLength={32}
              aria-describedby={signup ? "username-hint" : undefined}
            />
          </label>
          {signup && (
            <small id="username-hint" class="hint">
              {t("auth.usernameHint")}
            </small>
          )}
          {signup && (
            <label>
              {t("auth.displayName")}
              <input name="displayName" autoComplete="nickname" maxLength={64} />
            </label>
          )}
          <label>
            {t("auth.password")}
            <input
              name="password"
              type="password"
              autoComplete={signup ? "new-password" : "current-password"}
              required
              minLength={signup ? 8 : 1}
              aria-describedby={signup ? "password-hint" : undefined}
            />
          </label>
          {signup && (
            <small id="password-hint" class="hint">
              {t("auth.passwordHint")}
            </small>
          )}
          {error && (
            <p id="auth-error" class="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy}>
            {signup ? t("auth.submitSignup") : t("auth.submitLogin")}
          </button>
        </form>
        <button
          type="button"
          class="link"
          onClick={() => {
            setMode(signup ? "login" : "signup");
            setError(undefined);
          }}
        >
          {signup ? t("auth.haveAccount") : t("auth.noAccount")}
        </button>
        <LanguageSelect />
      </div>
    </main>
  );
}
