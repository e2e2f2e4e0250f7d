/** @module axe-core in a real page: every screen checked for serious and critical violations (WCAG 2 A/AA rules). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[][];
}

/**
 * Run axe on the page as it is now and fail on any serious or critical violation, naming each
 * rule and where. The script is evaluated over the DevTools protocol, so the app's
 * Content-Security-Policy (no inline scripts) stays as users get it.
 */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page (this file is compiled without the DOM's types).
  const violations = (await page.evaluate(`axe
    .run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) })))`)) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${screen}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

/** Press Tab (or `key`) until `target` has the focus, at most `max` presses: reaching a control by keyboard alone. */
export async function tabTo(page: Page, target: Locator, max = 40, key = "Tab"): Promise<void> {
  await target.waitFor();
  const visited: string[] = [];
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el.ownerDocument.activeElement === el)) return;
    await page.keyboard.press(key);
    visited.push(
      await page.evaluate<string>(
        "(document.activeElement?.tagName ?? '') + ' ' + (document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.slice(0, 30) ?? '')",
      ),
    );
  }
  throw new Error(`the control is not reachable with ${key}; the focus went through: ${visited.join(" | ")}`);
}
