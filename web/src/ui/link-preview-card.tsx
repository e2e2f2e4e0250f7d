/** @module The card under a message with a link: the linked page's image in a fixed box, its site, title and description; the image comes through this server, never from the site. */
import type { LinkPreview } from "../../../src/protocol/index.js";
import { t } from "../i18n/i18n.js";
import { AuthImage } from "./message-files.js";

/** The box every preview image fills (OpenGraph's 1.91:1), so the card never jumps when the image arrives. */
const IMAGE_BOX = { width: 382, height: 200 };

function hostOf(url: string): string {
  try {
    return new URL(url).host.replace(/^www\./, "");
  } catch {
    return url;
  }
}

export function LinkPreviewCard({ preview }: { preview: LinkPreview }) {
  const site = preview.siteName ?? hostOf(preview.url);
  return (
    <a
      class="link-card"
      href={preview.url}
      target="_blank"
      rel="noopener noreferrer nofollow"
      aria-label={t("preview.open", { title: preview.title ?? site })}
      data-testid="link-preview"
    >
      {preview.imageUrl && (
        <span class="link-card-image">
          <AuthImage path={preview.imageUrl} alt="" width={IMAGE_BOX.width} height={IMAGE_BOX.height} />
        </span>
      )}
      <span class="link-card-words">
        <span class="link-card-site">{site}</span>
        {preview.title && <span class="link-card-title">{preview.title}</span>}
        {preview.description && <span class="link-card-description">{preview.description}</span>}
      </span>
    </a>
  );
}
