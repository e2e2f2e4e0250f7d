/** @module One incident: its controls, measured impact, public updates, timeline, similar past incidents and its log. */
import type { Incident, MeasuredImpact, OpsReply, SimilarIncident } from "../../../src/protocol/index.js";
import { duration, ErrorNote, LoadState, Section, SeverityBadge, StatusBadge, To, When } from "./console-parts.js";
import { type ConsoleKey, ct } from "./console-text.js";
import { ComponentsForm, RolesForm, SeverityForm, StatusForm } from "./incident-controls.js";
import { LogEditor } from "./incident-log-editor.js";
import { useAction, useConsole, useLoad } from "./use-ops.js";

export function IncidentScreen({ id }: { id: string }) {
  const base = `/incidents/${encodeURIComponent(id)}`;
  const loaded = useLoad((api) => api.get<OpsReply<"GET /incidents/:id">>(base), `incident:${id}`);
  const similar = useLoad(
    (api) => api.get<OpsReply<"GET /incidents/:id/similar">>(`${base}/similar`),
    `similar:${id}`,
    30_000,
  );
  const components = useLoad((api) => api.get<OpsReply<"GET /components">>("/components"), "components", 0);
  const incident = loaded.data?.incident;
  if (!incident) return <LoadState error={loaded.error} what={id} />;
  const reload = loaded.reload;
  return (
    <div class="screen incident">
      <Header incident={incident} reload={reload} />
      {loaded.error && <ErrorNote error={loaded.error} />}
      <div class="columns">
        <div class="column">
          <StatusForm incident={incident} reload={reload} />
          <SeverityForm incident={incident} reload={reload} />
          <RolesForm incident={incident} reload={reload} />
          <ComponentsForm incident={incident} reload={reload} components={components.data?.components ?? []} />
          <LogEditor incident={incident} reload={reload} />
        </div>
        <div class="column">
          <Impact measured={incident.measured} />
          <Updates incident={incident} />
          <Timeline incident={incident} />
          <Similar similar={similar.data?.similar} error={similar.error} />
        </div>
      </div>
    </div>
  );
}

function Header({ incident, reload }: { incident: Incident; reload(): void }) {
  const { api } = useConsole();
  const action = useAction(reload);
  const acknowledge = () =>
    void action.run(() => api.send("POST", `/incidents/${encodeURIComponent(incident.id)}/acknowledge`));
  return (
    <header class="incident-head">
      <p class="muted">
        <To href="/console">{ct("nav.incidents")}</To> / {incident.id}
      </p>
      <h1>{incident.title}</h1>
      <p class="badges">
        <SeverityBadge severity={incident.severity} /> <StatusBadge status={incident.status} />{" "}
        <span class="muted">
          {ct(`origin.${incident.origin}` as ConsoleKey)} · {ct("incident.opened")} <When iso={incident.createdAt} />
          {incident.commander && (
            <>
              {" "}
              · {ct("incident.commander")} @{incident.commander}
            </>
          )}
          {incident.communications && (
            <>
              {" "}
              · {ct("roles.communications")} @{incident.communications}
            </>
          )}
        </span>
      </p>
      {incident.acknowledgedAt ? (
        <p class="muted">
          {ct("incident.acknowledged")} <When iso={incident.acknowledgedAt} />
        </p>
      ) : (
        <button type="button" class="primary" disabled={action.busy} onClick={acknowledge}>
          {ct("incident.acknowledge")}
        </button>
      )}
      <ErrorNote error={action.error} />
    </header>
  );
}

const share = (value: number) => `${(value * 100).toFixed(1)}%`;

/** What the tower measured while the incident was open (copied into the log when it resolved). */
function Impact({ measured }: { measured: MeasuredImpact }) {
  return (
    <Section id="impact" title={ct("impact.title")}>
      <dl class="facts">
        <dt>{ct("impact.duration")}</dt>
        <dd>{duration(measured.durationMs)}</dd>
        <dt>{ct("impact.sends")}</dt>
        <dd>
          {ct("impact.failedOf", { failed: measured.sendsFailed, of: measured.sendsAttempted })} (
          {share(measured.sendFailureShare)})
        </dd>
        <dt>{ct("impact.users")}</dt>
        <dd>
          {measured.usersAffected} ({share(measured.userShare)})
        </dd>
        <dt>{ct("impact.logins")}</dt>
        <dd>{ct("impact.failedOf", { failed: measured.loginsFailed ?? 0, of: measured.loginsAttempted ?? 0 })}</dd>
        <dt>{ct("impact.probes")}</dt>
        <dd>{ct("impact.failedOf", { failed: measured.probesFailed, of: measured.probesRun })}</dd>
      </dl>
    </Section>
  );
}

/** The public updates, newest first: what users read on the status page. */
function Updates({ incident }: { incident: Incident }) {
  const updates = [...incident.updates].reverse();
  return (
    <Section id="updates" title={ct("updates.title")}>
      {updates.length === 0 ? (
        <p class="muted">{ct("updates.none")}</p>
      ) : (
        <ol class="updates" aria-labelledby="updates-h">
          {updates.map((u) => (
            <li key={u.id}>
              <StatusBadge status={u.status} /> <When iso={u.createdAt} /> <span class="muted">@{u.by}</span>
              <p>{u.body}</p>
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

/** Every entry, oldest first, with who did it and when. */
function Timeline({ incident }: { incident: Incident }) {
  return (
    <Section id="timeline" title={ct("timeline.title")}>
      <ol class="timeline" aria-labelledby="timeline-h">
        {incident.timeline.map((entry, index) => (
          <li key={index} data-kind={entry.kind}>
            <When iso={entry.at} />{" "}
            <strong class="by">{entry.by === "system" ? ct("timeline.system") : `@${entry.by}`}</strong>{" "}
            <span class="kind">{entry.kind.replace(/_/g, " ")}</span>
            <span class="text">{entry.text}</span>
          </li>
        ))}
      </ol>
    </Section>
  );
}

/** Past incidents the tower found alike (component, alert, words), with what fixed them and what was promised. */
function Similar({
  similar,
  error,
}: {
  similar: SimilarIncident[] | undefined;
  error: ReturnType<typeof useLoad>["error"];
}) {
  return (
    <Section id="similar" title={ct("similar.title")}>
      {!similar ? (
        <LoadState error={error} what={ct("similar.title")} />
      ) : similar.length === 0 ? (
        <p class="muted">{ct("similar.none")}</p>
      ) : (
        <ul class="similar">
          {similar.map((s) => (
            <li key={s.incident.id}>
              <To href={`/console/incidents/${encodeURIComponent(s.incident.id)}`}>{s.incident.title}</To>{" "}
              <SeverityBadge severity={s.incident.severity} /> <span class="muted">{s.reasons.join("; ")}</span>
              <dl class="facts">
                <dt>{ct("log.cause")}</dt>
                <dd>{s.cause || "—"}</dd>
                <dt>{ct("log.fix")}</dt>
                <dd>{s.fix || "—"}</dd>
                <dt>{ct("followUps.title")}</dt>
                <dd>
                  {s.followUps.length === 0
                    ? "—"
                    : s.followUps
                        .map(
                          (f) => `${f.title} (@${f.owner}, ${f.dueDate}, ${ct(`followUps.${f.status}` as ConsoleKey)})`,
                        )
                        .join("; ")}
                </dd>
              </dl>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
