/** @module Change password: the current one and a new one; every other device is logged out. */
import { useState } from "preact/hooks";
import { changePassword, type HaetaeRequestError } from "../../../src/sdk/index.js";
import { errorText, t } from "../i18n/i18n.js";

export function PasswordForm({ token }: { token: string }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ error: boolean; text: string } | undefined>();

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    setBusy(true);
    setNote(undefined);
    try {
      const { revokedDevices } = await changePassword(location.origin, token, {
        currentPassword: String(form.get("currentPassword") ?? ""),
        newPassword: String(form.get("newPassword") ?? ""),
      });
      formElement.reset();
      setNote({ error: false, text: t("password.changed", { n: revokedDevices }) });
    } catch (thrown) {
      const { code, message } = thrown as HaetaeRequestError;
      // zxcvbn's reason (in English) says what to change; the code's text alone would not.
      const text = code === "weak_password" ? `${errorText(code)} ${message}` : errorText(code, message);
      setNote({ error: true, text });
    }
    setBusy(false);
  };

  return (
    <form class="password-form" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">{t("password.title")}</h2>
      <label>
        {t("password.current")}
        <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      <label>
        {t("password.new")}
        <input name="newPassword" type="password" autoComplete="new-password" required minLength={8} maxLength={1024} />
      </label>
      <small class="hint">{t("password.hint")}</small>
      {note && (
        <p class={note.error ? "form-error" : "form-note"} role={note.error ? "alert" : "status"}>
          {note.text}
        </p>
      )}
      <button type="submit" class="password-submit" disabled={busy}>
        {t("password.submit")}
      </button>
    </form>
  );
}
