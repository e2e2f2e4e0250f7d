/**
 * @module What the benchmarks read about processes and the machine from /proc: a process's RSS
 * and CPU time, the whole machine's busy/steal/iowait time, and its pressure stall totals — so a
 * run can say how much of the machine other work took while it measured.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** Resolve after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

/** Busy, steal and iowait time of the whole machine (ms, summed over its cores), from /proc/stat. */
export function machineMs(): { busy: number; steal: number; iowait: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const toMs = (ticks: number) => (ticks / CLOCK_TICKS) * 1000;
  return { busy: toMs(user + nice + system + irq + softirq), steal: toMs(steal), iowait: toMs(iowait) };
}

/** CPU time (user + system) of a process, in ms; 0 once it has exited. */
export function cpuMsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return 0;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
}

/**
 * Watches the machine's CPU between two reads: what other processes (not `pids`, not this one)
 * used, the hypervisor's steal and I/O wait, each as a share of one core.
 */
export class MachineWatch {
  private machine = machineMs();
  private ours: number;
  private self = process.cpuUsage();
  private at = Date.now();

  constructor(private readonly pids: number[]) {
    this.ours = this.oursMs();
  }

  private oursMs(): number {
    return this.pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  }

  /** Shares since the last read (or the start), then start again from now. */
  read(): { others: number; steal: number; iowait: number } {
    const machine = machineMs();
    const ours = this.oursMs();
    const self = process.cpuUsage(this.self);
    const now = Date.now();
    const elapsed = Math.max(1, now - this.at);
    const oursMs = ours - this.ours + (self.user + self.system) / 1000;
    const shares = {
      others: Math.max(0, (machine.busy - this.machine.busy - oursMs) / elapsed),
      steal: (machine.steal - this.machine.steal) / elapsed,
      iowait: (machine.iowait - this.machine.iowait) / elapsed,
    };
    this.machine = machine;
    this.ours = ours;
    this.self = process.cpuUsage();
    this.at = now;
    return shares;
  }
}

/** Pressure stall totals (µs) of the machine: time some / all tasks waited for CPU or I/O. */
function pressure(): Record<string, number> | undefined {
  try {
    const totals: Record<string, number> = {};
    for (const resource of ["cpu", "io"]) {
      for (const line of readFileSync(`/proc/pressure/${resource}`, "utf8").split("\n")) {
        const match = /^(some|full) .*total=(\d+)/.exec(line);
        if (match) totals[`${resource} ${match[1]}`] = Number(match[2]);
      }
    }
    return totals;
  } catch {
    return undefined;
  }
}

/** Share of `ms` that the machine's tasks stalled, per kind, while this process only slept. */
export async function backgroundPressure(ms: number): Promise<string> {
  const before = pressure();
  await sleep(ms);
  const after = pressure();
  if (!before || !after) return "no /proc/pressure on this machine";
  return Object.keys(after)
    .map((k) => `${k} ${((100 * ((after[k] ?? 0) - (before[k] ?? 0))) / (ms * 1000)).toFixed(0)} %`)
    .join(", ");
}
