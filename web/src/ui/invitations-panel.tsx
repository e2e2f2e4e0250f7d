/** @module Pending group invitations above the conversation list, each with Accept and Decline. */
import type { Invitation } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { userName } from "./names.js";
import { useStore } from "./store-context.js";

function Item({ invitation }: { invitation: Invitation }) {
  const store = useStore();
  const inviter = userName(store, invitation.inviterId);
  const title = invitation.title ?? t("invite.untitled");
  return (
    <li class="invitation" data-invitation={invitation.id}>
      <span class="invitation-text">
        <span class="invitation-title">{title}</span>
        <span class="preview">{t("invite.from", { name: inviter })}</span>
      </span>
      <button type="button" class="primary" onClick={() => void store.invitations.answer(invitation.id, true)}>
        {t("invite.accept")}
      </button>
      <button type="button" class="quiet" onClick={() => void store.invitations.answer(invitation.id, false)}>
        {t("invite.decline")}
      </button>
    </li>
  );
}

/** Nothing at all when there is no invitation: the list looks as before. */
export function InvitationsPanel() {
  const store = useStore();
  const invitations = store.invitations.list();
  if (invitations.length === 0) return null;
  return (
    <section class="invitations" aria-label={t("invite.label")}>
      <h2 class="invitations-heading">{t("invite.label")}</h2>
      <ul>
        {invitations.map((invitation) => (
          <Item key={invitation.id} invitation={invitation} />
        ))}
      </ul>
    </section>
  );
}
