/** @module Figures: MTTA and MTTR overall, per severity and per month (the same figures the tower exports as metrics). */
import { type MeanTimes, type OpsReply, SEVERITIES } from "../../../src/protocol/index.js";
import { LoadState, Section, seconds } from "./console-parts.js";
import { ct } from "./console-text.js";
import { useLoad } from "./use-ops.js";

function Cells({ times }: { times: MeanTimes }) {
  return (
    <>
      <td>{times.incidents}</td>
      <td>{seconds(times.mttaSeconds)}</td>
      <td>{seconds(times.mttrSeconds)}</td>
    </>
  );
}

function Head({ first }: { first: string }) {
  return (
    <thead>
      <tr>
        <th scope="col">{first}</th>
        <th scope="col">{ct("figures.incidents")}</th>
        <th scope="col">
          <abbr title={ct("figures.mttaLong")}>MTTA</abbr>
        </th>
        <th scope="col">
          <abbr title={ct("figures.mttrLong")}>MTTR</abbr>
        </th>
      </tr>
    </thead>
  );
}

export function FiguresScreen() {
  const loaded = useLoad((api) => api.get<OpsReply<"GET /stats">>("/stats", { months: 12 }), "stats", 30_000);
  const stats = loaded.data;
  return (
    <div class="screen">
      <Section id="by-severity" title={ct("figures.bySeverity")} wide>
        <p class="hint">{ct("figures.hint")}</p>
        {!stats ? (
          <LoadState error={loaded.error} what={ct("nav.figures")} />
        ) : (
          <table aria-labelledby="by-severity-h">
            <Head first={ct("incident.severity")} />
            <tbody>
              {SEVERITIES.map((s) => (
                <tr key={s}>
                  <th scope="row">{s}</th>
                  <Cells times={stats.bySeverity[s]} />
                </tr>
              ))}
              <tr class="total">
                <th scope="row">{ct("figures.all")}</th>
                <Cells times={stats.overall} />
              </tr>
            </tbody>
          </table>
        )}
      </Section>
      <Section id="by-month" title={ct("figures.byMonth")} wide>
        {!stats ? null : stats.byMonth.length === 0 ? (
          <p class="muted">{ct("figures.none")}</p>
        ) : (
          <table aria-labelledby="by-month-h">
            <thead>
              <tr>
                <th scope="col">{ct("figures.month")}</th>
                <th scope="col">{ct("figures.incidents")}</th>
                <th scope="col">MTTA</th>
                <th scope="col">MTTR</th>
                {SEVERITIES.map((s) => (
                  <th scope="col" key={s}>
                    {s} MTTA / MTTR
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {stats.byMonth.map((m) => (
                <tr key={m.month}>
                  <th scope="row">{m.month}</th>
                  <Cells times={m} />
                  {SEVERITIES.map((s) => (
                    <td key={s}>
                      {m.bySeverity[s].incidents === 0
                        ? "—"
                        : `${seconds(m.bySeverity[s].mttaSeconds)} / ${seconds(m.bySeverity[s].mttrSeconds)}`}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
    </div>
  );
}
