/** @module Accessibility checks in the browser tests: axe-core run in the page, failing on serious and critical violations. */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** One violation, short enough to read in a failed assertion. */
export interface AxeFinding {
  id: string;
  impact: string;
  nodes: string[];
}

/** Run axe-core on the page as it is now; the serious and critical violations (an empty list passes). */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  // Evaluated, not added as a <script>: the app's Content-Security-Policy refuses inline scripts.
  if (!(await page.evaluate<boolean>('"axe" in window'))) await page.evaluate(axeSource);
  // A string, run in the page: this file is compiled without the DOM's types.
  return page.evaluate<AxeFinding[]>(`axe.run(document).then(({ violations }) => violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => String(n.target)) })))`);
}
