/** @module What staff change on an open incident: status with a public update, severity override with its reason, roles, components. */
import { useState } from "preact/hooks";
import {
  COMPONENT_STATUSES,
  type Component,
  type ComponentStatus,
  INCIDENT_STATUSES,
  type Incident,
  type IncidentStatus,
  SEVERITIES,
  type Severity,
} from "../../../src/protocol/index.js";
import { ErrorNote, Section, SeverityBadge, StatusBadge, When } from "./console-parts.js";
import { ct, ctOr } from "./console-text.js";
import { useAction, useConsole } from "./use-ops.js";

/** Props of every control: the incident as last loaded, and how to load it again after a change. */
export interface ControlProps {
  incident: Incident;
  reload(): void;
}

const path = (incident: Incident, rest = "") => `/incidents/${encodeURIComponent(incident.id)}${rest}`;

/** Move the lifecycle and/or post a public update (the status page and the banner show it). */
export function StatusForm({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  // Undefined until chosen here, so a change made by someone else meanwhile shows (and is not undone).
  const [picked, setPicked] = useState<IncidentStatus | undefined>(undefined);
  const status = picked ?? incident.status;
  const [body, setBody] = useState("");
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const text = body.trim();
    const payload = {
      ...(status !== incident.status ? { status } : {}),
      ...(text ? { body: text } : {}),
    };
    void action.run(async () => {
      await api.send("POST", path(incident, "/updates"), payload);
      setBody("");
      setPicked(undefined);
    });
  };
  return (
    <Section id="update" title={ct("update.title")}>
      <form class="console-form" onSubmit={submit}>
        <label>
          {ct("incident.status")}
          <select value={status} onChange={(e) => setPicked(e.currentTarget.value as IncidentStatus)}>
            {INCIDENT_STATUSES.map((s) => (
              <option key={s} value={s} disabled={incident.status === "resolved" && s !== "resolved"}>
                {ctOr(`status.${s}`, s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {ct("update.field")}
          <textarea
            rows={3}
            maxLength={5000}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
            aria-describedby="update-hint"
          />
        </label>
        <small id="update-hint" class="hint">
          {ct("update.hint")}
        </small>
        <ErrorNote error={action.error} />
        <button type="submit" class="primary" disabled={action.busy || (status === incident.status && !body.trim())}>
          {ct("update.submit")}
        </button>
      </form>
    </Section>
  );
}

/** The grade in effect, the rules' grade and the override (with who and why); set or remove the override. */
export function SeverityForm({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  const [picked, setPicked] = useState<Severity | "" | undefined>(undefined);
  const severity = picked ?? incident.override?.severity ?? "";
  const [reason, setReason] = useState("");
  const resolved = incident.status === "resolved";
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await api.send("POST", path(incident, "/severity"), { severity: severity || null, reason: reason.trim() });
      setReason("");
      setPicked(undefined);
    });
  };
  const override = incident.override;
  return (
    <Section id="severity" title={ct("severity.title")}>
      <dl class="facts">
        <dt>{ct("severity.inEffect")}</dt>
        <dd>
          <SeverityBadge severity={incident.severity} />
        </dd>
        <dt>{ct("severity.graded")}</dt>
        <dd>
          <SeverityBadge severity={incident.gradedSeverity} />
        </dd>
        <dt>{ct("severity.override")}</dt>
        <dd data-testid="override">
          {override ? (
            <>
              <SeverityBadge severity={override.severity} />{" "}
              {ct("severity.overrideBy", { by: override.by, reason: override.reason })} · <When iso={override.at} />
            </>
          ) : (
            <span class="muted">{ct("severity.noOverride")}</span>
          )}
        </dd>
      </dl>
      {!resolved && (
        <form class="console-form" onSubmit={submit}>
          <label>
            {ct("severity.set")}
            <select value={severity} onChange={(e) => setPicked(e.currentTarget.value as Severity | "")}>
              <option value="">{ct("severity.backToGraded")}</option>
              {SEVERITIES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            {ct("severity.reason")}
            <textarea
              rows={2}
              required
              maxLength={1000}
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </label>
          <ErrorNote error={action.error} />
          <button type="submit" disabled={action.busy || !reason.trim()}>
            {ct("severity.submit")}
          </button>
        </form>
      )}
    </Section>
  );
}

/** The commander and the communications lead (empty clears). */
export function RolesForm({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  const [editedCommander, setCommander] = useState<string | undefined>(undefined);
  const [editedCommunications, setCommunications] = useState<string | undefined>(undefined);
  const commander = editedCommander ?? incident.commander ?? "";
  const communications = editedCommunications ?? incident.communications ?? "";
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const value = (v: string) => v.trim().replace(/^@/, "") || null;
    void action.run(async () => {
      await api.send("POST", path(incident, "/roles"), {
        commander: value(commander),
        communications: value(communications),
      });
      setCommander(undefined);
      setCommunications(undefined);
    });
  };
  return (
    <Section id="roles" title={ct("roles.title")}>
      <form class="console-form row" onSubmit={submit}>
        <label>
          {ct("incident.commander")}
          <input value={commander} maxLength={64} onInput={(e) => setCommander(e.currentTarget.value)} />
        </label>
        <label>
          {ct("roles.communications")}
          <input value={communications} maxLength={64} onInput={(e) => setCommunications(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          {ct("roles.submit")}
        </button>
      </form>
      <ErrorNote error={action.error} />
    </Section>
  );
}

/** Which components the incident touches and what it shows for each: following the severity, or pinned by hand. */
export function ComponentsForm({ incident, reload, components }: ControlProps & { components: Component[] }) {
  const { api } = useConsole();
  const action = useAction(reload);
  type Choice = Record<string, ComponentStatus | "auto" | undefined>;
  const [edited, setPicked] = useState<Choice | undefined>(undefined);
  const picked: Choice =
    edited ?? Object.fromEntries(incident.components.map((c) => [c.id, c.pinned ? c.status : "auto"]));
  const current = new Map(incident.components.map((c) => [c.id, c]));
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const body = Object.entries(picked)
      .filter(([, v]) => v !== undefined)
      .map(([id, v]) => (v === "auto" ? { id } : { id, status: v }));
    void action.run(async () => {
      await api.send("PUT", path(incident, "/components"), { components: body });
      setPicked(undefined);
    });
  };
  return (
    <Section id="affected" title={ct("affected.title")}>
      <form class="console-form" onSubmit={submit}>
        <table>
          <thead>
            <tr>
              <th scope="col">{ct("affected.component")}</th>
              <th scope="col">{ct("affected.now")}</th>
              <th scope="col">{ct("affected.set")}</th>
            </tr>
          </thead>
          <tbody>
            {components.map((c) => {
              const choice = picked[c.id];
              const shown = current.get(c.id);
              return (
                <tr key={c.id}>
                  <td>
                    <label class="check">
                      <input
                        type="checkbox"
                        checked={choice !== undefined}
                        onChange={(e) => setPicked({ ...picked, [c.id]: e.currentTarget.checked ? "auto" : undefined })}
                      />
                      {c.name}
                    </label>
                  </td>
                  <td>{shown ? <StatusBadge status={shown.status} /> : <span class="muted">—</span>}</td>
                  <td>
                    <select
                      aria-label={ct("affected.statusOf", { name: c.name })}
                      disabled={choice === undefined}
                      value={choice ?? "auto"}
                      onChange={(e) =>
                        setPicked({ ...picked, [c.id]: e.currentTarget.value as ComponentStatus | "auto" })
                      }
                    >
                      <option value="auto">{ct("affected.auto")}</option>
                      {COMPONENT_STATUSES.map((s) => (
                        <option key={s} value={s}>
                          {ctOr(`status.${s}`, s)}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || incident.status === "resolved"}>
          {ct("affected.submit")}
        </button>
      </form>
    </Section>
  );
}
