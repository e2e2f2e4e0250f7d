/**
 * @module `npm run bench:chat-open`: opening a chat of 10,000 messages with 1,500 unread in
 * Chromium, seeded through the real server's protocol. Figures: the time from the click to the
 * first paint of the first unread message under its line, the message rows in the page, and the
 * frames while scrolling through the whole history (up to the first message, then down to the
 * last). The peer, measured in the same run: the same messages put in a page all at once (what a
 * log without windowing does). On a loaded machine, the same run also gives the frames of the idle
 * page (the machine's own long frames), the main thread's CPU time per task while scrolling (a trace)
 * and its time per landed page. `--count`, `--unread` and `--runs` change the sizes.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { startTestServer } from "../test/harness.js";
import { launchBrowser, logIn, openApp } from "../test/web/browser.js";
import buildWeb from "../test/web/global-setup.js";
import { SEED_LIMITS, seedChat, seededText } from "../test/web/seed-chat.js";
import { topSelfTime } from "./cpu-profile.js";
import { type MainThreadTask, traceMainThread } from "./main-thread-trace.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    unread: { type: "string", default: "1500" },
    runs: { type: "string", default: "3" },
    /** Trace what runs inside the main thread's tasks too (costs more): a diagnostic run. */
    detail: { type: "boolean", default: false },
    "skip-peer": { type: "boolean", default: false },
    /** Write a CPU profile of the page's scripts while scrolling here, and print where their time went. */
    profile: { type: "string" },
  },
});
const count = Number(values.count);
const unread = Number(values.unread);
const runs = Number(values.runs);
const firstUnread = count - unread + 1;

/**
 * What runs in the page, as plain JavaScript (tsx would add helpers the page does not have):
 * `openChat(seq)` clicks the chat in the list and times until message `seq` is painted on
 * screen under the unread line; `scrollThrough(step)` scrolls to the first message and then to
 * the last, a step each frame, and returns every frame's length; `peerOpen(texts, seq)` puts
 * every message in the page at once, as a log without windowing does, and times the same.
 */
const IN_PAGE = `
// Every history page that lands: the main thread's time for it, from the socket's message to the
// end of the microtasks it queued (the store, the render, the layout effect), as one task.
const landed = [];
const listen = WebSocket.prototype.addEventListener;
WebSocket.prototype.addEventListener = function (type, listener, options) {
  if (type !== "message" || typeof listener !== "function") return listen.call(this, type, listener, options);
  return listen.call(this, type, function (event) {
    const page = typeof event.data === "string" && event.data.length > 2000 && event.data.includes('"messages":[');
    const started = performance.now();
    const result = listener.call(this, event);
    if (page) {
      let depth = 0;
      const after = () => (++depth < 50 ? queueMicrotask(after) : landed.push(performance.now() - started));
      queueMicrotask(after);
    }
    return result;
  }, options);
};
window.bench = {
  landed,
  frame() { return new Promise((resolve) => requestAnimationFrame(resolve)); },
  /** Frames of the same page doing nothing: how many the loaded machine makes long by itself. */
  async idle(n) {
    const frames = [];
    let last = await this.frame();
    for (let i = 0; i < n; i++) {
      const now = await this.frame();
      frames.push(now - last);
      last = now;
    }
    return frames;
  },
  async openChat(seq) {
    const link = [...document.querySelectorAll("a")].find((a) => a.textContent.includes("Writer Kim"));
    if (!link) throw new Error("the chat is not in the list");
    const started = performance.now();
    link.click();
    for (;;) {
      await this.frame();
      const line = document.querySelector(".log .unread-line");
      const row = line && line.nextElementSibling;
      const log = document.querySelector(".log");
      if (line && row && row.dataset.seq && log) {
        const y = row.getBoundingClientRect().top - log.getBoundingClientRect().top;
        if (y >= 0 && y < log.clientHeight) break;
      }
    }
    // The frame after the one that laid it out is the one that shows it.
    await this.frame();
    return performance.now() - started;
  },
  async scrollThrough(step) {
    landed.length = 0;
    const log = document.querySelector(".log");
    const frames = [];
    const ends = [];
    let maxRows = 0;
    let last = performance.now();
    const started = last;
    const tick = async () => {
      const now = await this.frame();
      frames.push(now - last);
      ends.push(now);
      last = now;
      maxRows = Math.max(maxRows, log.querySelectorAll("li.msg").length);
    };
    const atStart = () => log.scrollTop === 0 && log.querySelector(".log-note") && log.textContent.includes("This is the start of the conversation.");
    const atEnd = () => !document.querySelector(".new-below") && log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    for (let guard = 0; !atStart() && guard < 200000; guard++) {
      log.scrollTop -= step;
      await tick();
    }
    for (let guard = 0; !atEnd() && guard < 200000; guard++) {
      log.scrollTop += step;
      await tick();
    }
    return { frames: frames.slice(1), ends: ends.slice(1), ms: performance.now() - started, maxRows, landed: landed.splice(0) };
  },
  async peerOpen(texts, seq) {
    document.body.innerHTML = "";
    await this.frame();
    const started = performance.now();
    const log = document.createElement("div");
    log.className = "log";
    log.style.cssText = "height:100vh;overflow-y:auto";
    const list = document.createElement("ol");
    list.className = "messages";
    texts.forEach((text, i) => {
      const li = document.createElement("li");
      li.className = "msg theirs";
      li.dataset.seq = String(i + 1);
      li.innerHTML = '<div class="msg-body"><div class="msg-row"><div class="bubble"><span class="text"></span></div><span class="meta"><time>12:00</time></span></div></div>';
      li.querySelector(".text").textContent = text;
      list.append(li);
    });
    log.append(list);
    document.body.append(log);
    list.children[seq - 1].scrollIntoView({ block: "start" });
    await this.frame();
    await this.frame();
    const ms = performance.now() - started;
    const frames = [];
    let last = performance.now();
    log.scrollTop = 0;
    while (log.scrollTop + log.clientHeight < log.scrollHeight - 2) {
      log.scrollTop += 2000;
      const now = await this.frame();
      frames.push(now - last);
      last = now;
    }
    return { ms, rows: list.children.length, frames: frames.slice(1) };
  },
};`;

interface ScrollFigures {
  frames: number[];
  /** When each frame ended, on the page's clock. */
  ends: number[];
  ms: number;
  maxRows: number;
  /** The main thread's time for each history page that landed while scrolling. */
  landed: number[];
}

const openChat = (page: Page) => page.evaluate<number>(`window.bench.openChat(${firstUnread})`);
const scrollThrough = (page: Page, step: number) => page.evaluate<ScrollFigures>(`window.bench.scrollThrough(${step})`);
const peerOpen = (page: Page) =>
  page.evaluate<{ ms: number; rows: number; frames: number[] }>(
    `window.bench.peerOpen(${JSON.stringify(Array.from({ length: count }, (_, i) => seededText(i + 1)))}, ${firstUnread})`,
  );

const summary = (frames: number[]) => {
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    n: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? 0,
    over50: sorted.filter((f) => f > 50).length,
  };
};
const f1 = (n: number) => n.toFixed(1);

/** The main thread's tasks: their CPU and wall totals, and how many took over 50 ms by each. */
const taskSummary = (tasks: MainThreadTask[]) => ({
  cpuTotal: tasks.reduce((sum, task) => sum + task.cpu, 0),
  wallTotal: tasks.reduce((sum, task) => sum + task.wall, 0),
  cpuOver50: tasks.filter((task) => task.cpu > 50).length,
  wallOver50: tasks.filter((task) => task.wall > 50).length,
  cpuMax: Math.max(0, ...tasks.map((task) => task.cpu)),
});

/**
 * Each frame over 50 ms with the main thread's work in it: its tasks' CPU time and the longest
 * task's. A long frame with little CPU in it waited for a core (the machine's load), one with a
 * long task in it is the page's own work.
 */
function printLongFrames(scroll: ScrollFigures, tasks: MainThreadTask[]): void {
  const long: string[] = [];
  let heavy = 0;
  let longTask = 0;
  scroll.frames.forEach((length, i) => {
    if (length <= 50) return;
    const end = scroll.ends[i] ?? 0;
    const inFrame = tasks.filter((task) => task.start < end && task.start + task.wall > end - length);
    const cpu = inFrame.reduce((sum, task) => sum + task.cpu, 0);
    const longest = Math.max(0, ...inFrame.map((task) => task.cpu));
    if (cpu > 50) heavy++;
    if (longest > 50) longTask++;
    long.push(`${f1(length)} ms (CPU ${f1(cpu)} ms, longest task ${f1(longest)} ms)`);
  });
  console.log(
    `frames over 50 ms: ${long.length}; with over 50 ms of main-thread CPU in them: ${heavy}; with a task over 50 ms of CPU: ${longTask}`,
  );
  for (const line of long.slice(0, 30)) console.log(`  ${line}`);
}

/** The tasks with the most CPU time, and what ran inside them when traced in detail. */
function printLongTasks(tasks: MainThreadTask[]): void {
  const top = [...tasks].sort((a, b) => b.cpu - a.cpu).slice(0, values.detail ? 12 : 5);
  const origin = tasks.reduce((first, task) => Math.min(first, task.start), Number.POSITIVE_INFINITY);
  const at = (task: MainThreadTask) => `${f1((task.start - origin) / 1000)} s`;
  console.log(
    `longest tasks by CPU time: ${top.map((task) => `${f1(task.cpu)} (wall ${f1(task.wall)}, at ${at(task)})`).join(", ")} ms`,
  );
  if (!values.detail) return;
  for (const task of top) {
    const inside = Object.entries(task.inside ?? {})
      .filter(([, ms]) => ms >= 1)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([name, ms]) => `${name} ${f1(ms)}`);
    console.log(`  ${f1(task.cpu)} ms at ${at(task)}: ${inside.join(", ")}`);
  }
}

/** Run `work` under the page's CPU profiler when `--profile` asks for it, and print its top functions. */
async function profiled<T>(page: Page, work: () => Promise<T>): Promise<T> {
  const file = values.profile;
  if (!file) return work();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.start");
  const result = await work();
  const { profile } = await cdp.send("Profiler.stop");
  await cdp.detach();
  writeFileSync(file, JSON.stringify(profile));
  for (const line of topSelfTime(file, 0, Number.POSITIVE_INFINITY, process.cwd(), 25)) console.log(line);
  return result;
}

await buildWeb();
const [server, browser] = await Promise.all([startTestServer(SEED_LIMITS), launchBrowser()]);
try {
  const seeding = performance.now();
  const chat = await seedChat(server, { count, unread, prefix: "bench" });
  console.log(
    `seeded ${count} messages (${unread} unread) through the server in ${f1((performance.now() - seeding) / 1000)} s`,
  );

  const opens: number[] = [];
  let rows = 0;
  for (let run = 0; run < runs; run++) {
    // A fresh profile each run: nothing cached, as a first open on a new device.
    const { context, page } = await openApp(browser, server.url);
    await page.evaluate(IN_PAGE);
    await logIn(page, chat.reader.user.username);
    // A new device first syncs its whole feed (every one of the messages as an event); the chat is
    // opened once the list shows the last message, as a person would find it.
    await page.locator("a", { hasText: `Message ${count}` }).waitFor({ timeout: 600_000 });
    opens.push(await openChat(page));
    rows = await page.locator(".log li.msg").count();
    console.log(`run ${run + 1}: open ${f1(opens[run] ?? 0)} ms, ${rows} message rows`);
    if (run === runs - 1) {
      // The machine's own long frames: the same page doing nothing, as many frames as a scroll takes.
      const idle = summary(await page.evaluate<number[]>("window.bench.idle(600)"));
      const traced = await traceMainThread(page, () => profiled(page, () => scrollThrough(page, 400)), {
        detail: values.detail,
      });
      const scroll = traced.result;
      const s = summary(scroll.frames);
      const cpu = taskSummary(traced.tasks);
      const pages = summary(scroll.landed);
      console.log(
        `haetae scroll through all ${count}: ${s.n} frames in ${f1(scroll.ms / 1000)} s, p50 ${f1(s.p50)} ms, p99 ${f1(s.p99)} ms, max ${f1(s.max)} ms, ${s.over50} over 50 ms; at most ${scroll.maxRows} message rows in the page`,
      );
      console.log(
        `idle page, same run: ${idle.n} frames, p99 ${f1(idle.p99)} ms, max ${f1(idle.max)} ms, ${idle.over50} over 50 ms (${f1((100 * idle.over50) / Math.max(1, idle.n))} % vs ${f1((100 * s.over50) / Math.max(1, s.n))} % scrolling)`,
      );
      console.log(
        `main thread while scrolling: ${f1(cpu.cpuTotal / 1000)} s CPU in ${f1(cpu.wallTotal / 1000)} s of tasks; tasks over 50 ms: ${cpu.cpuOver50} by CPU time, ${cpu.wallOver50} by wall time; longest task ${f1(cpu.cpuMax)} ms CPU`,
      );
      console.log(
        `pages landed while scrolling: ${pages.n}, main-thread time each (wall, the task that applies it): median ${f1(pages.p50)} ms, max ${f1(pages.max)} ms`,
      );
      printLongFrames(scroll, traced.tasks);
      printLongTasks(traced.tasks);
      if (values["skip-peer"]) {
        await context.close();
        continue;
      }
      console.log("scrolled through; the peer next");
      const peer = await peerOpen(page);
      const p = summary(peer.frames);
      const best = Math.min(...opens);
      const median = [...opens].sort((a, b) => a - b)[Math.floor(opens.length / 2)] ?? 0;
      console.log(
        `haetae open at the first unread: median ${f1(median)} ms (runs ${opens.map(f1).join(", ")}), ${rows} message rows in the page`,
      );
      console.log(
        `peer (every message in the page): open ${f1(peer.ms)} ms, ${peer.rows} rows; scroll ${p.n} frames, p99 ${f1(p.p99)} ms, max ${f1(p.max)} ms, ${p.over50} over 50 ms`,
      );
      console.log(
        `ratio: open ${f1(peer.ms / median)}× faster than the peer (best ${f1(best)} ms); rows ${f1(peer.rows / rows)}× fewer`,
      );
      console.log(
        `targets: first paint < 300 ms ${median < 300 ? "met" : "MISSED"}; < 100 message rows ${rows < 100 && scroll.maxRows < 100 ? "met" : "MISSED"}; no frame over 50 ms ${s.over50 === 0 ? "met" : "MISSED"}`,
      );
    }
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
