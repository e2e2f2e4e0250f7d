/** @module Incident logs: full-text search (Korean and English), overdue follow-ups, and resolved incidents whose review is still open. */
import { useState } from "preact/hooks";
import type { LogSearchHit, OpsReply } from "../../../src/protocol/index.js";
import { ErrorNote, LoadState, Section, SeverityBadge, StatusBadge, To, When } from "./console-parts.js";
import { ct } from "./console-text.js";
import { useAction, useConsole, useLoad } from "./use-ops.js";

const incidentHref = (id: string) => `/console/incidents/${encodeURIComponent(id)}`;

export function LogsScreen() {
  return (
    <div class="screen">
      <Search />
      <Overdue />
      <OpenReviews />
    </div>
  );
}

function Search() {
  const { api } = useConsole();
  const action = useAction();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<{ query: string; results: LogSearchHit[] } | undefined>(undefined);
  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const q = query.trim();
    if (!q) return;
    void action.run(async () => {
      const reply = await api.get<OpsReply<"GET /logs/search">>("/logs/search", { q, limit: 50 });
      setHits({ query: q, results: reply.results });
    });
  };
  return (
    <Section id="search" title={ct("search.title")}>
      <form class="search" onSubmit={submit}>
        <label>
          {ct("search.field")}
          <input type="search" value={query} maxLength={500} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" disabled={action.busy}>
          {ct("search.submit")}
        </button>
      </form>
      <ErrorNote error={action.error} />
      {hits && (
        <div aria-live="polite">
          <p class="muted">{ct("search.count", { n: hits.results.length, q: hits.query })}</p>
          <ul class="hits" aria-label={ct("search.results")}>
            {hits.results.map((hit) => (
              <li key={hit.incident.id}>
                <To href={incidentHref(hit.incident.id)}>{hit.incident.title}</To>{" "}
                <SeverityBadge severity={hit.incident.severity} /> <StatusBadge status={hit.incident.status} />{" "}
                <When iso={hit.incident.createdAt} />
                <p class="snippet">{hit.snippet}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}

function Overdue() {
  const loaded = useLoad(
    (api) => api.get<OpsReply<"GET /follow-ups/overdue">>("/follow-ups/overdue"),
    "overdue",
    30_000,
  );
  return (
    <Section id="overdue" title={ct("overdue.title")}>
      {!loaded.data ? (
        <LoadState error={loaded.error} what={ct("overdue.title")} />
      ) : loaded.data.followUps.length === 0 ? (
        <p class="muted">{ct("overdue.none")}</p>
      ) : (
        <table aria-labelledby="overdue-h">
          <thead>
            <tr>
              <th scope="col">{ct("followUps.action")}</th>
              <th scope="col">{ct("followUps.owner")}</th>
              <th scope="col">{ct("followUps.due")}</th>
              <th scope="col">{ct("alerts.incident")}</th>
            </tr>
          </thead>
          <tbody>
            {loaded.data.followUps.map((o) => (
              <tr key={o.followUp.id} class="overdue">
                <td>{o.followUp.title}</td>
                <td>@{o.followUp.owner}</td>
                <td>{o.followUp.dueDate}</td>
                <td>
                  <To href={incidentHref(o.incidentId)}>{o.incidentTitle}</To> <SeverityBadge severity={o.severity} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function OpenReviews() {
  const loaded = useLoad(
    (api) => api.get<OpsReply<"GET /incidents">>("/incidents", { status: "resolved", limit: 200 }),
    "resolved",
    30_000,
  );
  const open = loaded.data?.incidents.filter((i) => !i.closedAt);
  return (
    <Section id="reviews" title={ct("reviews.title")}>
      {!open ? (
        <LoadState error={loaded.error} what={ct("reviews.title")} />
      ) : open.length === 0 ? (
        <p class="muted">{ct("reviews.none")}</p>
      ) : (
        <ul class="hits">
          {open.map((i) => (
            <li key={i.id}>
              <To href={incidentHref(i.id)}>{i.title}</To> <SeverityBadge severity={i.severity} />{" "}
              <span class="muted">
                {ct("reviews.resolved")} <When iso={i.resolvedAt} />
              </span>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
