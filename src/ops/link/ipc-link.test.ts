import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { HaetaeError } from "../../protocol/errors.js";
import { childLink, parseNodeMessage, parseWatcherMessage } from "./ipc-link.js";
import { gaugeValue } from "./outside-watch.js";

describe("the IPC link's messages", () => {
  it("takes well-formed messages from either side and drops anything else", () => {
    expect(
      parseNodeMessage({ type: "call", id: 1, call: { api: "tower", method: "listIncidents", args: [] } }),
    ).toEqual({ type: "call", id: 1, call: { api: "tower", method: "listIncidents", args: [] } });
    expect(parseNodeMessage({ type: "sli", events: [] })?.type).toBe("sli");
    for (const bad of [
      null,
      "call",
      { type: "call", id: -1, call: { api: "tower", method: "x", args: [] } },
      { type: "call", id: 1, call: { api: "store", method: "x", args: [] } },
      { type: "call", id: 1, call: { api: "tower", method: "x", args: "no" } },
      { type: "sli", events: "many" },
      { type: "shutdown" },
    ]) {
      expect(parseNodeMessage(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseWatcherMessage({ type: "reply", id: 3, reply: { ok: true, value: null } })?.type).toBe("reply");
    expect(parseWatcherMessage({ type: "reply", id: 3, reply: { ok: "yes" } })).toBeNull();
    expect(parseWatcherMessage({ type: "feed", message: { snapshot: {} } })).toBeNull();
  });

  it("answers a call with the watcher's error code, and `unavailable` when there is no channel", async () => {
    const wire = new EventEmitter();
    const sent: unknown[] = [];
    const endpoint = {
      connected: true,
      send(message: unknown) {
        sent.push(message);
        const { id } = message as { id: number };
        // The watcher's answer comes back through JSON, as over the channel.
        queueMicrotask(() =>
          wire.emit(
            "message",
            JSON.parse(
              JSON.stringify({ type: "reply", id, reply: { ok: false, code: "incident_not_found", message: "No" } }),
            ),
          ),
        );
        return true;
      },
      on: (event: "message", listener: (m: unknown) => void) => wire.on(event, listener),
      off: (event: "message", listener: (m: unknown) => void) => wire.off(event, listener),
    };
    const link = childLink(endpoint);
    await expect(link.call({ api: "tower", method: "getIncident", args: ["INC-9"] })).rejects.toMatchObject({
      code: "incident_not_found",
    });
    expect(sent).toHaveLength(1);
    await link.close();
    const alone = childLink({ on: () => undefined, off: () => undefined });
    const error = await alone.call({ api: "tower", method: "listIncidents", args: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaetaeError);
    expect((error as HaetaeError).code).toBe("unavailable");
  });
});

describe("gaugeValue", () => {
  it("reads a gauge from Prometheus text, with or without labels, and nothing else", () => {
    const text = [
      "# HELP haetae_degradation_level The level",
      "# TYPE haetae_degradation_level gauge",
      "haetae_degradation_level 3",
      'haetae_degradation_level_changes_total{level="3"} 1',
    ].join("\n");
    expect(gaugeValue(text, "haetae_degradation_level")).toBe(3);
    expect(gaugeValue('x{node="a"} 2.5\n', "x")).toBe(2.5);
    expect(gaugeValue("haetae_degradation_levels 4\n", "haetae_degradation_level")).toBeUndefined();
    expect(gaugeValue("", "haetae_degradation_level")).toBeUndefined();
  });
});
