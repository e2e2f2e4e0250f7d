/** @module Components (set a status by hand) and planned maintenance windows (schedule, cancel). */
import { useState } from "preact/hooks";
import {
  COMPONENT_STATUSES,
  type Component,
  type ComponentStatus,
  type Maintenance,
  type OpsReply,
} from "../../../src/protocol/index.js";
import { ErrorNote, LoadState, Section, StatusBadge, When } from "./console-parts.js";
import { ct, ctOr } from "./console-text.js";
import { useAction, useConsole, useLoad } from "./use-ops.js";

export function ComponentsScreen() {
  const components = useLoad((api) => api.get<OpsReply<"GET /components">>("/components"), "components");
  const maintenances = useLoad((api) => api.get<OpsReply<"GET /maintenances">>("/maintenances"), "maintenances");
  const list = components.data?.components;
  return (
    <div class="screen">
      <Section id="components" title={ct("components.title")}>
        <p class="hint">{ct("components.hint")}</p>
        {list ? (
          <table aria-labelledby="components-h">
            <thead>
              <tr>
                <th scope="col">{ct("affected.component")}</th>
                <th scope="col">{ct("components.function")}</th>
                <th scope="col">{ct("affected.now")}</th>
                <th scope="col">{ct("components.set")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <ComponentRow key={c.id} component={c} reload={components.reload} />
              ))}
            </tbody>
          </table>
        ) : (
          <LoadState error={components.error} what={ct("components.title")} />
        )}
      </Section>
      <Section id="maintenance" title={ct("maintenance.title")}>
        {maintenances.data ? (
          <MaintenanceList maintenances={maintenances.data.maintenances} reload={maintenances.reload} />
        ) : (
          <LoadState error={maintenances.error} what={ct("maintenance.title")} />
        )}
        <MaintenanceForm components={list ?? []} reload={maintenances.reload} />
      </Section>
    </div>
  );
}

function ComponentRow({ component, reload }: { component: Component; reload(): void }) {
  const { api } = useConsole();
  const action = useAction(reload);
  const [picked, setPicked] = useState<ComponentStatus | undefined>(undefined);
  const status = picked ?? component.status;
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await api.send("PUT", `/components/${encodeURIComponent(component.id)}`, { status });
      setPicked(undefined);
    });
  };
  return (
    <tr>
      <th scope="row">
        {component.name}
        <br />
        <span class="muted">{component.description}</span>
      </th>
      <td>{ctOr(`function.${component.function}`, component.function)}</td>
      <td>
        <StatusBadge status={component.status} /> <When iso={component.updatedAt} />
      </td>
      <td>
        <form class="inline" onSubmit={submit}>
          <select
            aria-label={ct("affected.statusOf", { name: component.name })}
            value={status}
            onChange={(e) => setPicked(e.currentTarget.value as ComponentStatus)}
          >
            {COMPONENT_STATUSES.map((s) => (
              <option key={s} value={s}>
                {ctOr(`status.${s}`, s)}
              </option>
            ))}
          </select>
          <button type="submit" disabled={action.busy || picked === undefined}>
            {ct("components.submit")}
          </button>
        </form>
        <ErrorNote error={action.error} />
      </td>
    </tr>
  );
}

function MaintenanceList({ maintenances, reload }: { maintenances: Maintenance[]; reload(): void }) {
  const { api } = useConsole();
  const action = useAction(reload);
  const now = new Date().toISOString();
  if (maintenances.length === 0) return <p class="muted">{ct("maintenance.none")}</p>;
  return (
    <>
      <ErrorNote error={action.error} />
      <ul class="maintenances">
        {maintenances.map((m) => {
          const over = Boolean(m.cancelledAt) || m.endsAt <= now;
          return (
            <li key={m.id} class={over ? "over" : undefined}>
              <strong>{m.title}</strong> <span class="muted">{m.components.join(", ")}</span>
              <br />
              <When iso={m.startsAt} /> – <When iso={m.endsAt} />
              {m.cancelledAt && <span class="tag">{ct("maintenance.cancelled")}</span>}
              {m.body && <p>{m.body}</p>}
              {!over && (
                <button
                  type="button"
                  class="danger"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(() => api.send("POST", `/maintenances/${encodeURIComponent(m.id)}/cancel`))
                  }
                >
                  {m.startsAt <= now ? ct("maintenance.endNow") : ct("maintenance.cancel")}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** `datetime-local` gives local wall time without a zone; the API wants an instant. */
const toIso = (local: string) => new Date(local).toISOString();

function MaintenanceForm({ components, reload }: { components: Component[]; reload(): void }) {
  const { api } = useConsole();
  const action = useAction(reload);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const body = {
      title: String(data.get("title") ?? "").trim(),
      body: String(data.get("body") ?? "").trim(),
      components: data.getAll("components").map(String),
      startsAt: toIso(String(data.get("startsAt"))),
      endsAt: toIso(String(data.get("endsAt"))),
    };
    void action.run(async () => {
      await api.send("POST", "/maintenances", body);
      form.reset();
    });
  };
  return (
    <form class="console-form" onSubmit={submit} aria-labelledby="maintenance-new">
      <h3 id="maintenance-new">{ct("maintenance.new")}</h3>
      <label>
        {ct("maintenance.titleField")}
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
      <div class="row">
        <label>
          {ct("maintenance.starts")}
          <input name="startsAt" type="datetime-local" required />
        </label>
        <label>
          {ct("maintenance.ends")}
          <input name="endsAt" type="datetime-local" required />
        </label>
      </div>
      <label>
        {ct("maintenance.body")}
        <textarea name="body" rows={2} maxLength={5000} />
      </label>
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy}>
        {ct("maintenance.submit")}
      </button>
    </form>
  );
}
