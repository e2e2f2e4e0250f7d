/** @module The incident log editor: summary, cause, trigger, fix, detection, retrospective, public summary, follow-ups, and closing the review. */
import { useState } from "preact/hooks";
import type { FollowUp, Incident, IncidentLog } from "../../../src/protocol/index.js";
import { ErrorNote, Section, When } from "./console-parts.js";
import { type ConsoleKey, ct } from "./console-text.js";
import type { ControlProps } from "./incident-controls.js";
import { useAction, useConsole } from "./use-ops.js";

/** The log's free-text fields, in the order a review writes them. */
const FIELDS = [
  "summary",
  "cause",
  "trigger",
  "fix",
  "detection",
  "wentWell",
  "wentBadly",
  "gotLucky",
  "publicSummary",
] as const satisfies readonly (keyof IncidentLog)[];
type Field = (typeof FIELDS)[number];

const path = (incident: Incident, rest: string) => `/incidents/${encodeURIComponent(incident.id)}${rest}`;

export function LogEditor({ incident, reload }: ControlProps) {
  const severe = incident.severity === "SEV1" || incident.severity === "SEV2";
  return (
    <Section id="log" title={ct("log.title")}>
      <p class="hint" id="close-rule">
        {severe ? ct("log.ruleSevere", { severity: incident.severity }) : ct("log.rule")}
      </p>
      <LogFields incident={incident} reload={reload} />
      <FollowUps incident={incident} reload={reload} />
      <CloseReview incident={incident} reload={reload} />
    </Section>
  );
}

/** The text fields; only those changed here are sent, so two people editing different fields do not undo each other. */
function LogFields({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  const [edits, setEdits] = useState<Partial<Record<Field, string>>>({});
  const changed = FIELDS.filter((f) => edits[f] !== undefined && edits[f] !== incident.log[f]);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const patch = Object.fromEntries(changed.map((f) => [f, edits[f]]));
    void action.run(async () => {
      await api.send("PATCH", path(incident, "/log"), patch);
      setEdits({});
    });
  };
  return (
    <form class="console-form" onSubmit={submit}>
      {FIELDS.map((field) => (
        <label key={field}>
          {ct(`log.${field}` as ConsoleKey)}
          <textarea
            name={field}
            rows={field === "summary" || field === "publicSummary" ? 3 : 2}
            maxLength={20_000}
            value={edits[field] ?? incident.log[field]}
            onInput={(e) => setEdits({ ...edits, [field]: e.currentTarget.value })}
          />
        </label>
      ))}
      <ErrorNote error={action.error} />
      <button type="submit" class="primary" disabled={action.busy || changed.length === 0}>
        {ct("log.save")}
      </button>
    </form>
  );
}

/** Follow-up actions with owner, due date and status; overdue ones are marked. */
function FollowUps({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  const today = new Date().toISOString().slice(0, 10);
  const add = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const body = {
      title: String(data.get("title") ?? "").trim(),
      owner: String(data.get("owner") ?? "")
        .trim()
        .replace(/^@/, ""),
      dueDate: String(data.get("dueDate") ?? ""),
    };
    void action.run(async () => {
      await api.send("POST", path(incident, "/follow-ups"), body);
      form.reset();
    });
  };
  const toggle = (f: FollowUp) =>
    void action.run(() =>
      api.send("PATCH", path(incident, `/follow-ups/${encodeURIComponent(f.id)}`), {
        status: f.status === "done" ? "open" : "done",
      }),
    );
  return (
    <div class="follow-ups">
      <h3 id="follow-ups-h">{ct("followUps.title")}</h3>
      {incident.log.followUps.length === 0 ? (
        <p class="muted">{ct("followUps.none")}</p>
      ) : (
        <table aria-labelledby="follow-ups-h">
          <thead>
            <tr>
              <th scope="col">{ct("followUps.action")}</th>
              <th scope="col">{ct("followUps.owner")}</th>
              <th scope="col">{ct("followUps.due")}</th>
              <th scope="col">{ct("followUps.done")}</th>
            </tr>
          </thead>
          <tbody>
            {incident.log.followUps.map((f) => (
              <tr key={f.id} class={f.status === "open" && f.dueDate < today ? "overdue" : undefined}>
                <td>{f.title}</td>
                <td>@{f.owner}</td>
                <td>
                  {f.dueDate}
                  {f.status === "open" && f.dueDate < today && <span class="tag warn">{ct("followUps.overdue")}</span>}
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={f.status === "done"}
                    disabled={action.busy}
                    aria-label={ct("followUps.markDone", { title: f.title })}
                    onChange={() => toggle(f)}
                  />
                  {f.doneAt && <When iso={f.doneAt} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="console-form row" onSubmit={add} aria-label={ct("followUps.add")}>
        <label>
          {ct("followUps.action")}
          <input name="title" required maxLength={500} />
        </label>
        <label>
          {ct("followUps.owner")}
          <input name="owner" required maxLength={64} />
        </label>
        <label>
          {ct("followUps.due")}
          <input name="dueDate" type="date" required />
        </label>
        <button type="submit" disabled={action.busy}>
          {ct("followUps.add")}
        </button>
      </form>
      <ErrorNote error={action.error} />
    </div>
  );
}

/** Close the review; for SEV1–SEV2 the server refuses until cause, fix and a follow-up are in, and says which are missing. */
function CloseReview({ incident, reload }: ControlProps) {
  const { api } = useConsole();
  const action = useAction(reload);
  if (incident.closedAt) {
    return (
      <p class="closed" role="status">
        {ct("log.closed", { by: incident.closedBy ?? "" })} <When iso={incident.closedAt} />
      </p>
    );
  }
  return (
    <div class="close-review">
      <button
        type="button"
        class="primary"
        disabled={action.busy || incident.status !== "resolved"}
        aria-describedby="close-rule"
        onClick={() => void action.run(() => api.send("POST", path(incident, "/close")))}
      >
        {ct("log.close")}
      </button>
      {incident.status !== "resolved" && <span class="muted">{ct("log.closeAfterResolve")}</span>}
      <ErrorNote error={action.error} />
    </div>
  );
}
