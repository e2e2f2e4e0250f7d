/** @module Settings: language, who I am, notifications, change password, log out. */
import { t } from "../i18n/i18n.js";
import { LanguageSelect } from "./language-select.js";
import { NotifySettings } from "./notify-settings.js";
import { PasswordForm } from "./password-form.js";
import { DeleteAccountForm, ExportButton, PresencePrivacy, ProfileForm } from "./profile-form.js";
import { ScreenHeader } from "./screen-header.js";
import { useStore } from "./store-context.js";

export function SettingsScreen({ onLogout }: { onLogout(): void }) {
  const store = useStore();
  const { user } = store.session;
  const logout = () => {
    const unsent = store.outbox.unsent.length;
    if (unsent > 0 && !confirm(t("settings.logoutUnsent", { n: unsent }))) return;
    onLogout();
  };
  return (
    <section class="page" aria-labelledby="page-title">
      <ScreenHeader title={t("settings.title")} />
      <div class="page-body">
        <p>{t("settings.account", { name: user.displayName, username: user.username })}</p>
        <LanguageSelect />
        <ProfileForm />
        <PresencePrivacy />
        <NotifySettings />
        <PasswordForm token={store.session.token} />
        <button type="button" class="danger" onClick={logout}>
          {t("settings.logout")}
        </button>
        <ExportButton />
        <DeleteAccountForm />
        <p class="muted">{t("settings.about")}</p>
      </div>
    </section>
  );
}
