/** @module The page an invite link opens (`/join/<token>`): what the group is, and a button to join it. */
import { useEffect, useState } from "preact/hooks";
import type { GroupLinkPreview } from "../../../src/protocol/index.js";
import type { HaetaeRequestError } from "../../../src/sdk/index.js";
import { errorText, t } from "../i18n/i18n.js";
import { Avatar } from "./avatar.js";
import { navigate, onLinkClick } from "./router.js";
import { ScreenHeader } from "./screen-header.js";
import { useStore } from "./store-context.js";

export function JoinScreen({ token }: { token: string }) {
  const store = useStore();
  const [preview, setPreview] = useState<GroupLinkPreview | undefined>();
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (store.connection !== "open" || preview) return;
    store.client.request("groupLink.preview", { token }).then(
      (reply) => setPreview(reply.preview),
      (thrown: HaetaeRequestError) => setError(errorText(thrown.code, thrown.message)),
    );
  }, [store, store.connection, token]);
  const join = async () => {
    setBusy(true);
    setError("");
    try {
      const { conversation } = await store.client.request("groupLink.join", { token });
      navigate(`/c/${encodeURIComponent(conversation.id)}`);
    } catch (thrown) {
      const { code, message } = thrown as HaetaeRequestError;
      setError(errorText(code, message));
    } finally {
      setBusy(false);
    }
  };
  const chatPath = preview ? `/c/${encodeURIComponent(preview.conversationId)}` : "/";
  return (
    <section class="page join" aria-labelledby="page-title">
      <ScreenHeader title={t("join.title")} />
      <div class="page-body">
        {error ? (
          <p class="form-error" role="alert">
            {error}
          </p>
        ) : !preview ? (
          <p class="muted" role="status">
            {t("join.loading")}
          </p>
        ) : (
          <div class="info-block join-card">
            <Avatar name={preview.title ?? ""} seed={preview.conversationId} group />
            <h3>{preview.title ?? t("join.title")}</h3>
            <p class="muted">{t("join.members", { n: preview.memberCount })}</p>
            {preview.member ? (
              <>
                <p>{t("join.already")}</p>
                <a href={chatPath} class="button primary" onClick={onLinkClick}>
                  {t("join.open")}
                </a>
              </>
            ) : (
              <p>
                <button type="button" class="primary" disabled={busy} onClick={() => void join()}>
                  {t("join.submit")}
                </button>{" "}
                <a href="/" class="button quiet" onClick={onLinkClick}>
                  {t("join.cancel")}
                </a>
              </p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
