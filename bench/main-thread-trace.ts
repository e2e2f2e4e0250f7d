/**
 * @module The main thread's tasks of a page while something runs, from a Chromium trace (the
 * "toplevel" category only, so the tracing itself costs little): each task's wall time and its
 * CPU time. On a loaded machine a task's wall time includes the time the thread waited for a
 * core; its CPU time does not, so it is the figure that compares across runs and loads.
 */
import type { Page } from "playwright-core";

/** One task of the renderer's main thread, in milliseconds. */
export interface MainThreadTask {
  wall: number;
  cpu: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** Trace `run` in `page`; resolves its result and the main thread's tasks meanwhile. */
export async function traceMainThread<T>(
  page: Page,
  run: () => Promise<T>,
): Promise<{ result: T; tasks: MainThreadTask[] }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (data) => {
    events.push(...(data.value as unknown as TraceEvent[]));
  });
  await cdp.send("Tracing.start", { categories: "toplevel", transferMode: "ReportEvents" } as never);
  let result: T;
  try {
    result = await run();
  } finally {
    // The events come after the end is asked for, then the trace says it is complete.
    const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    await complete;
    await cdp.detach();
  }
  return { result, tasks: mainThreadTasks(events) };
}

/** The tasks of the renderer main thread that worked most (the page's; other renderers idle). */
function mainThreadTasks(events: TraceEvent[]): MainThreadTask[] {
  const mains = new Set(
    events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`),
  );
  const byThread = new Map<string, MainThreadTask[]>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    if (e.ph !== "X" || e.name !== "ThreadControllerImpl::RunTask" || !mains.has(thread)) continue;
    const tasks = byThread.get(thread) ?? [];
    tasks.push({ wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 });
    byThread.set(thread, tasks);
  }
  const cpuOf = (tasks: MainThreadTask[]) => tasks.reduce((sum, task) => sum + task.cpu, 0);
  return [...byThread.values()].sort((a, b) => cpuOf(b) - cpuOf(a))[0] ?? [];
}
