/** @module A group's invite links in its info screen: the owner and admins create, copy and revoke them. */
import { useEffect, useState } from "preact/hooks";
import type { Conversation, GroupLink } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { whenFull } from "./format.js";
import { useStore } from "./store-context.js";

const HOUR_MS = 3_600_000;
const EXPIRIES = { never: undefined, hour: HOUR_MS, day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS } as const;
type Expiry = keyof typeof EXPIRIES;
const USE_LIMITS = ["", "1", "10", "100"] as const;

/** The address a link is shared as: this web client's join route. */
export function linkUrl(link: GroupLink): string {
  return `${location.origin}/join/${link.token}`;
}

/** Why a link no longer works, or undefined while it does. */
function deadReason(link: GroupLink, now: number): string | undefined {
  if (link.revokedAt) return t("links.state.revoked");
  if (link.expiresAt && Date.parse(link.expiresAt) <= now) return t("links.state.expired");
  if (link.maxUses !== null && link.uses >= link.maxUses) return t("links.state.usedUp");
  return undefined;
}

function LinkRow({ link, onRevoke }: { link: GroupLink; onRevoke(): void }) {
  const store = useStore();
  const dead = deadReason(link, Date.now());
  const url = linkUrl(link);
  const copy = async (event: MouseEvent) => {
    const field = (event.currentTarget as HTMLElement).closest("li")?.querySelector("input");
    try {
      await navigator.clipboard.writeText(url);
      store.say("info", "links.copied");
    } catch {
      // No clipboard permission: select the address, so the user copies it with one keystroke.
      field?.select();
    }
  };
  const uses =
    link.maxUses === null ? t("links.uses", { n: link.uses }) : t("links.usesOf", { n: link.uses, max: link.maxUses });
  return (
    <li class={`link-row${dead ? " dead" : ""}`} data-link={link.id}>
      <input
        class="link-url"
        readOnly
        value={url}
        aria-label={t("links.url")}
        onFocus={(e) => e.currentTarget.select()}
      />
      <span class="muted">
        {dead ?? uses}
        {!dead && link.expiresAt && ` · ${t("links.expires", { time: whenFull(link.expiresAt) })}`}
      </span>
      {!dead && (
        <span class="member-actions">
          <button type="button" class="quiet" onClick={copy}>
            {t("links.copy")}
          </button>
          <button type="button" class="quiet danger-text" onClick={onRevoke}>
            {t("links.revoke")}
          </button>
        </span>
      )}
    </li>
  );
}

/** The invite links block; shown to the group's owner and admins only (the server refuses others). */
export function GroupLinks({ conversation }: { conversation: Conversation }) {
  const store = useStore();
  const [links, setLinks] = useState<GroupLink[] | undefined>();
  const [expiry, setExpiry] = useState<Expiry>("never");
  const [maxUses, setMaxUses] = useState<(typeof USE_LIMITS)[number]>("");
  const id = conversation.id;
  const load = async () => {
    const reply = await store.call("groupLink.list", { conversationId: id }, true);
    if (reply) setLinks(reply.links);
  };
  useEffect(() => {
    if (store.connection === "open") void load();
  }, [store, store.connection, id]);
  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    const expiresInMs = EXPIRIES[expiry];
    const reply = await store.call("groupLink.create", {
      conversationId: id,
      ...(expiresInMs !== undefined ? { expiresInMs } : {}),
      ...(maxUses !== "" ? { maxUses: Number(maxUses) } : {}),
    });
    if (reply) setLinks([reply.link, ...(links ?? [])]);
  };
  const revoke = async (link: GroupLink) => {
    if (!confirm(t("links.revokeConfirm"))) return;
    const reply = await store.call("groupLink.revoke", { conversationId: id, linkId: link.id });
    if (reply) setLinks((links ?? []).map((l) => (l.id === link.id ? reply.link : l)));
  };
  return (
    <form class="info-block" onSubmit={create} aria-labelledby="links-title">
      <h3 id="links-title">{t("links.title")}</h3>
      <p class="muted">{t("links.explain")}</p>
      <div class="link-options">
        <label>
          {t("links.expiry")}
          <select value={expiry} onChange={(e) => setExpiry((e.currentTarget as HTMLSelectElement).value as Expiry)}>
            {(Object.keys(EXPIRIES) as Expiry[]).map((key) => (
              <option key={key} value={key}>
                {t(`links.expiry.${key}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("links.maxUses")}
          <select
            value={maxUses}
            onChange={(e) => setMaxUses((e.currentTarget as HTMLSelectElement).value as (typeof USE_LIMITS)[number])}
          >
            {USE_LIMITS.map((n) => (
              <option key={n} value={n}>
                {n === "" ? t("links.maxUses.none") : n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          {t("links.create")}
        </button>
      </div>
      {links !== undefined &&
        (links.length === 0 ? (
          <p class="muted">{t("links.none")}</p>
        ) : (
          <ul class="link-list" aria-labelledby="links-title">
            {links.map((link) => (
              <LinkRow key={link.id} link={link} onRevoke={() => void revoke(link)} />
            ))}
          </ul>
        ))}
    </form>
  );
}
