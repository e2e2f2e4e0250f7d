/** @module Incidents: the list (open first, with severity, status, components, commander, age) and the form to declare one. */
import { type Component, type Incident, type OpsReply, SEVERITIES } from "../../../src/protocol/index.js";
import { navigate } from "../ui/router.js";
import { duration, ErrorNote, LoadState, Section, SeverityBadge, StatusBadge, To } from "./console-parts.js";
import { ct } from "./console-text.js";
import { useAction, useConsole, useLoad } from "./use-ops.js";

/** Open incidents first (worst severity, then newest), then resolved ones, newest first. */
export function byUrgency(a: Incident, b: Incident): number {
  const openA = a.status !== "resolved";
  const openB = b.status !== "resolved";
  if (openA !== openB) return openA ? -1 : 1;
  if (openA && a.severity !== b.severity) return a.severity.localeCompare(b.severity);
  return b.createdAt.localeCompare(a.createdAt);
}

export function IncidentsScreen() {
  const incidents = useLoad((api) => api.get<OpsReply<"GET /incidents">>("/incidents", { limit: 200 }), "incidents");
  const components = useLoad((api) => api.get<OpsReply<"GET /components">>("/components"), "components", 0);
  return (
    <div class="screen">
      <Section id="incidents" title={ct("incidents.title")}>
        {incidents.data ? (
          <IncidentTable incidents={[...incidents.data.incidents].sort(byUrgency)} />
        ) : (
          <LoadState error={incidents.error} what={ct("incidents.title")} />
        )}
      </Section>
      <Section id="declare" title={ct("declare.title")}>
        <DeclareForm components={components.data?.components ?? []} />
      </Section>
    </div>
  );
}

function IncidentTable({ incidents }: { incidents: Incident[] }) {
  if (incidents.length === 0) return <p class="muted">{ct("incidents.none")}</p>;
  const now = Date.now();
  return (
    <table aria-labelledby="incidents-h">
      <thead>
        <tr>
          <th scope="col">{ct("incident.title")}</th>
          <th scope="col">{ct("incident.severity")}</th>
          <th scope="col">{ct("incident.status")}</th>
          <th scope="col">{ct("incident.components")}</th>
          <th scope="col">{ct("incident.commander")}</th>
          <th scope="col">{ct("incident.age")}</th>
        </tr>
      </thead>
      <tbody>
        {incidents.map((i) => (
          <tr key={i.id} class={i.status === "resolved" ? "resolved" : "open"}>
            <td>
              <To href={`/console/incidents/${encodeURIComponent(i.id)}`}>{i.title}</To>{" "}
              <span class="muted">{i.id}</span>
            </td>
            <td>
              <SeverityBadge severity={i.severity} />
            </td>
            <td>
              <StatusBadge status={i.status} />
            </td>
            <td>{i.components.map((c) => c.id).join(", ") || "—"}</td>
            <td>{i.commander ? `@${i.commander}` : <span class="muted">{ct("incident.noCommander")}</span>}</td>
            <td>
              {i.resolvedAt
                ? ct("incident.resolvedAfter", { d: duration(Date.parse(i.resolvedAt) - Date.parse(i.createdAt)) })
                : duration(now - Date.parse(i.createdAt))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Declare by hand: title, components, an optional severity (a floor the rules can raise) and the first public update. */
function DeclareForm({ components }: { components: Component[] }) {
  const { api } = useConsole();
  const action = useAction();
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const severity = String(form.get("severity") ?? "");
    const message = String(form.get("message") ?? "").trim();
    const commander = String(form.get("commander") ?? "").trim();
    const body = {
      title: String(form.get("title") ?? "").trim(),
      components: form.getAll("components").map(String),
      ...(severity ? { severity } : {}),
      ...(message ? { message } : {}),
      ...(commander ? { commander } : {}),
    };
    void action.run(async () => {
      // The incident's page lists the similar past incidents the tower found.
      const reply = await api.send<OpsReply<"POST /incidents">>("POST", "/incidents", body);
      navigate(`/console/incidents/${encodeURIComponent(reply.incident.id)}`);
    });
  };
  return (
    <form class="console-form" onSubmit={submit}>
      <label>
        {ct("declare.titleField")}
        <input name="title" required maxLength={200} />
      </label>
      <fieldset>
        <legend>{ct("declare.components")}</legend>
        <div class="checks">
          {components.map((c) => (
            <label key={c.id} class="check">
              <input type="checkbox" name="components" value={c.id} /> {c.name}
            </label>
          ))}
        </div>
      </fieldset>
      <label>
        {ct("declare.severity")}
        <select name="severity">
          <option value="">{ct("declare.severityGraded")}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        {ct("declare.commander")}
        <input name="commander" maxLength={64} autoComplete="off" />
      </label>
      <label>
        {ct("declare.message")}
        <textarea name="message" rows={3} maxLength={5000} />
      </label>
      <ErrorNote error={action.error} />
      <button type="submit" class="primary" disabled={action.busy}>
        {ct("declare.submit")}
      </button>
    </form>
  );
}
