/** @module A Vite plugin that prints the client's total gzipped JavaScript after a build and fails it above the budget. */
import type { Plugin } from "vite";
import { formatReport, JS_BUDGET_BYTES, JS_TOTAL_BUDGET_BYTES, measureJs } from "../check-size.js";

/** Runs last, when every file (the service worker too) is on disk. */
export function sizeBudget(outDir: string): Plugin {
  return {
    name: "haetae-size-budget",
    apply: "build",
    closeBundle: {
      order: "post",
      handler() {
        const size = measureJs(outDir);
        const all = measureJs(outDir, "index.html", "all");
        console.log(`\n${formatReport(size, measureJs(outDir, "console.html"), all)}`);
        if (size.gzipBytes > JS_BUDGET_BYTES) {
          throw new Error(
            `the web client's JavaScript at start is ${size.gzipBytes} bytes gzipped, over ${JS_BUDGET_BYTES}`,
          );
        }
        if (all.gzipBytes > JS_TOTAL_BUDGET_BYTES) {
          throw new Error(
            `the web client's JavaScript with on-demand chunks is ${all.gzipBytes} bytes gzipped, over ${JS_TOTAL_BUDGET_BYTES}`,
          );
        }
      },
    },
  };
}
