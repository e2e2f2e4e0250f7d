/**
 * @module The main thread's tasks of a page while something runs, from a Chromium trace (the
 * "toplevel" category, so the tracing itself costs little): each task's start, wall time and CPU
 * time. On a loaded machine a task's wall time includes the time the thread waited for a core;
 * its CPU time does not, so it is the figure that compares across runs and loads. With `detail`,
 * the trace also records what ran inside each task (scripts, style, layout, paint, garbage
 * collection), at a higher cost: a diagnostic, not a figure to compare.
 */
import type { Page } from "playwright-core";

/** One task of the renderer's main thread, in milliseconds; `start` on the page's `performance.now()` clock. */
export interface MainThreadTask {
  start: number;
  wall: number;
  cpu: number;
  /** With `detail`: CPU time by the kind of work inside the task (nested kinds counted in each). */
  inside?: Record<string, number>;
}

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

/** The user-timing mark the page sets when tracing starts: it ties the trace's clock to the page's. */
const ORIGIN = "main-thread-trace-origin";

/** Trace `run` in `page`; resolves its result and the main thread's tasks meanwhile. */
export async function traceMainThread<T>(
  page: Page,
  run: () => Promise<T>,
  options: { detail?: boolean } = {},
): Promise<{ result: T; tasks: MainThreadTask[] }> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on("Tracing.dataCollected", (data) => {
    events.push(...(data.value as unknown as TraceEvent[]));
  });
  const categories = ["toplevel", "blink.user_timing", ...(options.detail ? ["devtools.timeline", "v8"] : [])];
  await cdp.send("Tracing.start", { categories: categories.join(","), transferMode: "ReportEvents" } as never);
  let result: T;
  let origin = 0;
  try {
    origin = await page.evaluate<number>(`(performance.mark("${ORIGIN}"), performance.now())`);
    result = await run();
  } finally {
    // The events come after the end is asked for, then the trace says it is complete.
    const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.end");
    await complete;
    await cdp.detach();
  }
  const mark = events.find((e) => e.name === ORIGIN);
  // Trace time (µs) minus this is the page's performance.now() (ms).
  const shift = mark ? mark.ts / 1000 - origin : 0;
  return { result, tasks: mainThreadTasks(events, shift, options.detail ?? false) };
}

/** The tasks of the renderer main thread that worked most (the page's; other renderers idle). */
function mainThreadTasks(events: TraceEvent[], shift: number, detail: boolean): MainThreadTask[] {
  const mains = new Set(
    events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`),
  );
  const byThread = new Map<string, { tasks: MainThreadTask[]; inner: TraceEvent[] }>();
  for (const e of events) {
    const thread = `${e.pid}:${e.tid}`;
    if (e.ph !== "X" || !mains.has(thread)) continue;
    const of = byThread.get(thread) ?? { tasks: [], inner: [] };
    byThread.set(thread, of);
    if (e.name === "ThreadControllerImpl::RunTask")
      of.tasks.push({ start: e.ts / 1000 - shift, wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 });
    else if (detail && e.cat !== "toplevel") of.inner.push(e);
  }
  const cpuOf = (tasks: MainThreadTask[]) => tasks.reduce((sum, task) => sum + task.cpu, 0);
  const busiest = [...byThread.values()].sort((a, b) => cpuOf(b.tasks) - cpuOf(a.tasks))[0];
  if (!busiest) return [];
  if (detail) attribute(busiest.tasks, busiest.inner, shift);
  return busiest.tasks;
}

/** Put each inner event's CPU time in the task it ran in (both lists by start time). */
function attribute(tasks: MainThreadTask[], inner: TraceEvent[], shift: number): void {
  tasks.sort((a, b) => a.start - b.start);
  inner.sort((a, b) => a.ts - b.ts);
  let t = 0;
  for (const e of inner) {
    const start = e.ts / 1000 - shift;
    while (t < tasks.length && (tasks[t] as MainThreadTask).start + (tasks[t] as MainThreadTask).wall < start) t++;
    const task = tasks[t];
    if (!task || task.start > start) continue;
    task.inside ??= {};
    task.inside[e.name] = (task.inside[e.name] ?? 0) + (e.tdur ?? e.dur ?? 0) / 1000;
  }
}
