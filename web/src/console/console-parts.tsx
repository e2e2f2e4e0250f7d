/** @module Small pieces every console screen uses: refusals, badges, times, durations and in-app links. */
import type { ComponentChildren } from "preact";
import type { ComponentStatus, IncidentStatus, Severity } from "../../../src/protocol/index.js";
import type { HaetaeRequestError } from "../../../src/sdk/request-error.js";
import { whenFull } from "../ui/format.js";
import { onLinkClick } from "../ui/router.js";
import { ct, ctOr } from "./console-text.js";

/**
 * A refusal from the server, in its own words and with its code: an on-call engineer needs the
 * exact reason (`incident_log_incomplete: … needs cause, fix`), not "something went wrong".
 */
export function ErrorNote({ error, id }: { error: HaetaeRequestError | undefined; id?: string }) {
  if (!error) return null;
  return (
    <p class="console-error" role="alert" id={id}>
      <strong>{ct("error.refused")}</strong> {error.message} <code>{error.code}</code>
    </p>
  );
}

/** Loading, or what stopped the load. */
export function LoadState({ error, what }: { error: HaetaeRequestError | undefined; what: string }) {
  return error ? <ErrorNote error={error} /> : <p class="muted">{ct("loading", { what })}</p>;
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span class={`sev sev-${severity.toLowerCase()}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: IncidentStatus | ComponentStatus | string }) {
  return <span class={`state state-${status}`}>{ctOr(`status.${status}`, status.replace(/_/g, " "))}</span>;
}

/** A time, readable, with the exact ISO time on hover and for machines. */
export function When({ iso }: { iso: string | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {whenFull(iso)}
    </time>
  );
}

/** "2 h 5 m", "4 m 12 s", "9 s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} m`;
  if (m > 0) return `${m} m ${s % 60} s`;
  return `${s} s`;
}

/** Seconds (or null) as a duration, for MTTA/MTTR. */
export function seconds(value: number | null): string {
  return value === null ? "—" : duration(value * 1000);
}

/** A link inside the console (no reload). */
export function To({ href, children, label }: { href: string; children: ComponentChildren; label?: string }) {
  return (
    <a href={href} onClick={onLinkClick} aria-label={label}>
      {children}
    </a>
  );
}

/** A titled section of a screen, labelled by its heading for assistive technology and tests. */
export function Section({
  id,
  title,
  children,
  wide = false,
}: {
  id: string;
  title: string;
  children: ComponentChildren;
  /** Holds a table wider than a phone: the panel scrolls sideways, so it takes the focus to be scrolled by keyboard. */
  wide?: boolean;
}) {
  return (
    <section class="panel" aria-labelledby={`${id}-h`} {...(wide ? { tabIndex: 0 } : {})}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
    </section>
  );
}
