/** @module Haetae's service-level objectives, built from the configuration: what each measures, its target and the component it protects. */
import type { Config } from "../../config/config.js";
import type { Sli, SliEvent } from "../sli-recorder.js";

/** One objective over one indicator. */
export interface SloDefinition {
  /** Stable name used in alerts (`slo:<name>:page`), metrics (`slo` label) and the rule file. */
  name: string;
  sli: Sli;
  /** Share of events that must be good, e.g. 0.999. */
  target: number;
  /** For latency objectives: an event is good only when it succeeded within this many ms. */
  thresholdMs?: number;
  /** The tower component (`messaging`, `login`, …) an alert of this SLO points at. */
  component: string;
  /** One line for people: what the objective promises. */
  description: string;
}

/** The configuration keys the objectives are built from. */
export type SloConfig = Pick<
  Config,
  | "sloSendTarget"
  | "sloDeliveryTarget"
  | "sloDeliveryThresholdMs"
  | "sloLoginTarget"
  | "sloHistoryTarget"
  | "sloUploadTarget"
  | "sloDownloadTarget"
>;

const percent = (target: number) => `${Number((target * 100).toFixed(4))}%`;

/** The objectives this configuration asks for; a target of 0 leaves that objective out. */
export function slosFromConfig(config: SloConfig): SloDefinition[] {
  const slos: SloDefinition[] = [
    {
      name: "send",
      sli: "send",
      target: config.sloSendTarget,
      component: "messaging",
      description: `${percent(config.sloSendTarget)} of sends are acknowledged`,
    },
    {
      name: "delivery",
      sli: "delivery",
      target: config.sloDeliveryTarget,
      thresholdMs: config.sloDeliveryThresholdMs,
      component: "messaging",
      description: `${percent(config.sloDeliveryTarget)} of probe messages reach the recipient within ${config.sloDeliveryThresholdMs} ms`,
    },
    {
      name: "login",
      sli: "login",
      target: config.sloLoginTarget,
      component: "login",
      description: `${percent(config.sloLoginTarget)} of logins are answered without a server error`,
    },
    {
      name: "history",
      sli: "history",
      target: config.sloHistoryTarget,
      component: "messaging",
      description: `${percent(config.sloHistoryTarget)} of history and sync reads succeed`,
    },
    {
      name: "upload",
      sli: "upload",
      target: config.sloUploadTarget,
      component: "files",
      description: `${percent(config.sloUploadTarget)} of file uploads are stored`,
    },
    {
      name: "download",
      sli: "download",
      target: config.sloDownloadTarget,
      component: "files",
      description: `${percent(config.sloDownloadTarget)} of file downloads are served`,
    },
  ];
  return slos.filter((slo) => slo.target > 0);
}

/** Whether an event is good for this objective: it succeeded, and in time when the objective has a threshold. */
export function isGood(slo: SloDefinition, event: Pick<SliEvent, "ok" | "latencyMs">): boolean {
  if (!event.ok) return false;
  if (slo.thresholdMs === undefined) return true;
  return event.latencyMs !== undefined && event.latencyMs <= slo.thresholdMs;
}
