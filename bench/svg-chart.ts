/**
 * @module A minimal line chart as SVG text: panels stacked over one shared time axis, each with
 * its own y axis (linear or log), series as polylines or steps, shaded spans (a surge) and one
 * legend. Hand-rolled (see docs/decisions.md): a benchmark needs a few lines and no browser.
 */

/** One line: points as [x, y]; `y` undefined leaves a gap. */
export interface Series {
  name: string;
  color: string;
  /** SVG stroke-dasharray, e.g. "6 3". */
  dash?: string;
  /** Draw as steps (a level that holds until the next point). */
  step?: boolean;
  points: [number, number | undefined][];
}

/** One panel: a y axis and its series. */
export interface Panel {
  title: string;
  /** Log scale (values ≤ 0 are left out); linear from 0 otherwise. */
  log?: boolean;
  /** Fixed top of the y axis (else from the data). */
  yMax?: number;
  series: Series[];
}

/** The whole chart. */
export interface Chart {
  title: string;
  subtitle?: string;
  xLabel: string;
  panels: Panel[];
  /** Shaded spans of the x axis, with a label. */
  spans?: { from: number; to: number; label: string }[];
  width?: number;
  panelHeight?: number;
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) =>
  Number.isInteger(v) && v < 1000
    ? String(v)
    : v >= 10_000
      ? `${(v / 1000).toFixed(0)}k`
      : v >= 1000
        ? `${(v / 1000).toFixed(1)}k`
        : v >= 10
          ? v.toFixed(0)
          : v >= 1
            ? v.toFixed(1)
            : v.toPrecision(1);

/** A "nice" step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/** Render `chart` as a standalone SVG document. */
export function renderChart(chart: Chart): string {
  const width = chart.width ?? 960;
  const panelHeight = chart.panelHeight ?? 170;
  const left = 70;
  const right = 20;
  const top = chart.subtitle ? 62 : 44;
  const gap = 38;
  const legendRows = Math.ceil(new Set(chart.panels.flatMap((p) => p.series.map((s) => s.name))).size / 4);
  const height = top + chart.panels.length * (panelHeight + gap) + 30 + legendRows * 18;
  const xs = chart.panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)));
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const plotWidth = width - left - right;
  const xPos = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle) out.push(`<text x="${left}" y="40" fill="#555">${escapeXml(chart.subtitle)}</text>`);
  chart.panels.forEach((panel, i) => {
    const y0 = top + i * (panelHeight + gap);
    const values = panel.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y): y is number => y !== undefined);
    const positive = values.filter((v) => v > 0);
    let yPos: (y: number) => number;
    const ticks: number[] = [];
    if (panel.log) {
      const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
      const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)));
      yPos = (y) =>
        y0 + panelHeight - ((Math.log10(y) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * panelHeight;
      for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    } else {
      const max = panel.yMax ?? Math.max(1, ...values) * 1.08;
      const step = niceStep(max, 4);
      const hi = panel.yMax ?? Math.ceil(max / step) * step;
      yPos = (y) => y0 + panelHeight - (y / hi) * panelHeight;
      for (let t = 0; t <= hi + step / 1000; t += panel.yMax !== undefined && panel.yMax <= 5 ? 1 : step) ticks.push(t);
    }
    for (const span of chart.spans ?? []) {
      out.push(
        `<rect x="${xPos(span.from).toFixed(1)}" y="${y0}" width="${(xPos(span.to) - xPos(span.from)).toFixed(1)}" height="${panelHeight}" fill="#fde9c8"/>`,
      );
      if (i === 0)
        out.push(`<text x="${xPos(span.from) + 4}" y="${y0 + 12}" fill="#a86400">${escapeXml(span.label)}</text>`);
    }
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    for (const t of ticks) {
      const y = yPos(t).toFixed(1);
      out.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
      out.push(`<text x="${left - 6}" y="${Number(y) + 4}" text-anchor="end" fill="#555">${fmt(t)}</text>`);
    }
    out.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`);
    for (const series of panel.series) {
      // Split at gaps, so a missing reading is not drawn as a straight line across it.
      let run: string[] = [];
      const flush = () => {
        if (run.length > 1)
          out.push(
            `<polyline fill="none" stroke="${series.color}" stroke-width="1.8"${series.dash ? ` stroke-dasharray="${series.dash}"` : ""} points="${run.join(" ")}"/>`,
          );
        run = [];
      };
      let previousY: string | undefined;
      for (const [x, y] of series.points) {
        if (y === undefined || (panel.log && y <= 0)) {
          flush();
          previousY = undefined;
          continue;
        }
        const px = xPos(x).toFixed(1);
        const py = yPos(y).toFixed(1);
        if (series.step && previousY !== undefined) run.push(`${px},${previousY}`);
        run.push(`${px},${py}`);
        previousY = py;
      }
      flush();
    }
  });
  const axisY = top + chart.panels.length * (panelHeight + gap) - gap + 14;
  const step = niceStep(xMax - xMin, 10);
  for (let t = Math.ceil(xMin / step) * step; t <= xMax; t += step) {
    out.push(`<text x="${xPos(t).toFixed(1)}" y="${axisY}" text-anchor="middle" fill="#555">${fmt(t)}</text>`);
  }
  out.push(
    `<text x="${left + plotWidth / 2}" y="${axisY + 16}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
  );
  const legend = new Map<string, Series>();
  for (const panel of chart.panels) for (const s of panel.series) if (!legend.has(s.name)) legend.set(s.name, s);
  [...legend.values()].forEach((s, k) => {
    const x = left + (k % 4) * (plotWidth / 4);
    const y = axisY + 36 + Math.floor(k / 4) * 18;
    out.push(
      `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
    );
    out.push(`<text x="${x + 30}" y="${y}">${escapeXml(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
