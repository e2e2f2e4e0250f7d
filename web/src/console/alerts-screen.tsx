/** @module Alerts from every source (SLO burn rates, probes, Alertmanager, PagerDuty): deduplicated, with counts and their incident; acknowledge. */
import { useState } from "preact/hooks";
import type { AlertState, OpsReply } from "../../../src/protocol/index.js";
import { ErrorNote, LoadState, Section, StatusBadge, To, When } from "./console-parts.js";
import { ct, ctOr } from "./console-text.js";
import { useAction, useConsole, useLoad } from "./use-ops.js";

const FILTERS = ["open", "firing", "acknowledged", "resolved", "all"] as const;
type Filter = (typeof FILTERS)[number];

export function AlertsScreen() {
  const { api } = useConsole();
  const [filter, setFilter] = useState<Filter>("open");
  const loaded = useLoad(
    (ops) =>
      ops.get<OpsReply<"GET /alerts">>("/alerts", {
        limit: 500,
        state: filter === "open" || filter === "all" ? undefined : (filter as AlertState),
      }),
    `alerts:${filter}`,
  );
  const action = useAction(loaded.reload);
  // "Open" is what needs someone: firing or acknowledged, not yet resolved.
  const alerts = (loaded.data?.alerts ?? []).filter((a) => filter !== "open" || a.state !== "resolved");
  return (
    <div class="screen">
      <Section id="alerts" title={ct("alerts.title")}>
        <label class="inline">
          {ct("alerts.show")}
          <select value={filter} onChange={(e) => setFilter(e.currentTarget.value as Filter)}>
            {FILTERS.map((f) => (
              <option key={f} value={f}>
                {ct(`alerts.filter.${f}`)}
              </option>
            ))}
          </select>
        </label>
        <ErrorNote error={action.error} />
        {!loaded.data ? (
          <LoadState error={loaded.error} what={ct("alerts.title")} />
        ) : alerts.length === 0 ? (
          <p class="muted">{ct("alerts.none")}</p>
        ) : (
          <table aria-labelledby="alerts-h">
            <thead>
              <tr>
                <th scope="col">{ct("alerts.source")}</th>
                <th scope="col">{ct("alerts.name")}</th>
                <th scope="col">{ct("alerts.count")}</th>
                <th scope="col">{ct("alerts.state")}</th>
                <th scope="col">{ct("alerts.first")}</th>
                <th scope="col">{ct("alerts.last")}</th>
                <th scope="col">{ct("alerts.incident")}</th>
                <th scope="col">
                  <span class="visually-hidden">{ct("alerts.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id} data-state={a.state}>
                  <td>{ctOr(`source.${a.source}`, a.source)}</td>
                  <td>
                    <strong>{a.name}</strong>
                    {a.urgency === "page" && <span class="tag warn">{ct("alerts.page")}</span>}
                    <br />
                    <span class="muted">{a.summary}</span>
                  </td>
                  <td>{a.count}</td>
                  <td>
                    <StatusBadge status={a.state} />
                  </td>
                  <td>
                    <When iso={a.firstFiredAt} />
                  </td>
                  <td>
                    <When iso={a.lastFiredAt} />
                  </td>
                  <td>
                    {a.incidentId ? (
                      <To href={`/console/incidents/${encodeURIComponent(a.incidentId)}`}>{a.incidentId}</To>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  <td>
                    {a.state === "firing" && (
                      <button
                        type="button"
                        disabled={action.busy}
                        aria-label={ct("alerts.acknowledgeOne", { name: a.name })}
                        onClick={() =>
                          void action.run(() => api.send("POST", `/alerts/${encodeURIComponent(a.id)}/acknowledge`))
                        }
                      >
                        {ct("alerts.acknowledge")}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
