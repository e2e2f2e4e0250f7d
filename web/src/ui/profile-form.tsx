/** @module My profile: display name, status line and photo (`account.update`), and deleting the account (`account.delete`). */
import { useState } from "preact/hooks";
import { type HaetaeRequestError, uploadFile } from "../../../src/sdk/index.js";
import { errorText, t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { userPhoto } from "./photos.js";
import { useStore } from "./store-context.js";

export function ProfileForm() {
  const store = useStore();
  const { user } = store.session;
  const [note, setNote] = useState("");
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setNote("");
    const photo = form.get("photo");
    let avatarFileId: string | undefined;
    if (photo instanceof File && photo.size > 0) {
      try {
        avatarFileId = (await uploadFile(location.origin, store.session.token, photo, photo.name)).id;
      } catch (thrown) {
        setNote(errorText((thrown as HaetaeRequestError).code));
        return;
      }
    }
    const statusText = String(form.get("statusText") ?? "").trim();
    const ok = await store.updateAccount({
      displayName: String(form.get("displayName") ?? "").trim(),
      statusText: statusText === "" ? null : statusText,
      ...(avatarFileId ? { avatarFileId } : {}),
    });
    if (ok) setNote(t("profile.saved"));
  };
  return (
    <form class="password-form" onSubmit={submit} aria-labelledby="profile-title">
      <h2 id="profile-title">{t("profile.title")}</h2>
      <div class="profile-photo">
        <Avatar name={user.displayName} seed={user.id} photo={userPhoto(store, user.id)} />
        <span class="muted">{user.avatarUrl ? t("profile.photoSet") : t("profile.photoNone")}</span>
      </div>
      <label>
        {t("profile.displayName")}
        <input name="displayName" defaultValue={user.displayName} required maxLength={64} autoComplete="nickname" />
      </label>
      <label>
        {t("profile.status")}
        <input name="statusText" defaultValue={user.statusText ?? ""} maxLength={140} />
      </label>
      <label>
        {t("profile.photo")}
        <input name="photo" type="file" accept="image/*" />
      </label>
      <p class="form-note" role="status">
        {note}
      </p>
      <button type="submit" class="password-submit">
        {t("profile.save")}
      </button>
    </form>
  );
}

/**
 * Hide my presence and last seen from everyone (`account.update {hidePresence}`): it takes effect
 * at once, and my other devices show the switch as set through `account.updated`.
 */
export function PresencePrivacy() {
  const store = useStore();
  const hidden = store.session.user.hidePresence === true;
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setBusy(true);
    await store.updateAccount({ hidePresence: !hidden });
    setBusy(false);
  };
  return (
    <section class="password-form" aria-labelledby="privacy-title">
      <h2 id="privacy-title">{t("privacy.title")}</h2>
      <label class="check-row">
        <input type="checkbox" checked={hidden} disabled={busy} onChange={() => void toggle()} />{" "}
        {t("privacy.hidePresence")}
      </label>
      <p class="muted">{t("privacy.explain")}</p>
    </section>
  );
}

/** Delete my account, confirmed by the password; the server ends every session, this one included. */
export function DeleteAccountForm() {
  const store = useStore();
  const [error, setError] = useState("");
  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget as HTMLFormElement).get("password") ?? "");
    if (!confirm(t("delete.confirm"))) return;
    setError("");
    try {
      await store.client.request("account.delete", { password });
    } catch (thrown) {
      const { code, message } = thrown as HaetaeRequestError;
      setError(errorText(code, message));
    }
    // On success the server closes every session (4501): the app returns to the login screen.
  };
  return (
    <form class="password-form" onSubmit={submit} aria-labelledby="delete-title">
      <h2 id="delete-title">{t("delete.title")}</h2>
      <p class="muted">{t("delete.explain")}</p>
      <label>
        {t("password.current")}
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="danger">
        {t("delete.submit")}
      </button>
    </form>
  );
}

/** Download my data (`GET /api/v1/account/export`) as a JSON file; the token travels in the header, never the URL. */
export function ExportButton() {
  const store = useStore();
  const [error, setError] = useState("");
  const download = async () => {
    setError("");
    try {
      const res = await fetch("/api/v1/account/export", {
        headers: { authorization: `Bearer ${store.session.token}` },
      });
      if (!res.ok) throw new Error(String(res.status));
      const url = URL.createObjectURL(await res.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "haetae-export.json";
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch {
      setError(t("export.failed"));
    }
  };
  return (
    <div class="password-form">
      <h2>{t("export.title")}</h2>
      <p class="muted">{t("export.explain")}</p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" onClick={download}>
        {t("export.submit")}
      </button>
    </div>
  );
}
