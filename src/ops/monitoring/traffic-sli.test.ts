import { describe, expect, it } from "vitest";
import { type SliEvent, SliRecorder } from "../sli-recorder.js";
import { TrafficSli } from "./traffic-sli.js";

function recorded() {
  const recorder = new SliRecorder();
  const events: SliEvent[] = [];
  recorder.subscribe((e) => events.push(e));
  return { traffic: new TrafficSli(recorder), events };
}

describe("traffic SLIs", () => {
  it("counts sends and history reads: ok is good, server faults are bad, the client's own errors are not counted", () => {
    const { traffic, events } = recorded();
    traffic.request("message.send", "u1", "ok", 3);
    for (const code of ["internal", "unavailable", "overloaded"]) traffic.request("message.send", "u1", code, 4);
    for (const code of ["invalid_request", "forbidden", "text_too_long", "rate_limited", "conversation_not_found"]) {
      traffic.request("message.send", "u1", code, 1);
    }
    traffic.request("history", "u2", "ok", 2);
    traffic.request("sync", "u2", "unavailable", 2);
    traffic.request("typing", "u2", "internal", 2);
    expect(events.map((e) => `${e.sli} ${e.ok} ${e.userId} ${e.source}`)).toEqual([
      "send true u1 traffic",
      "send false u1 traffic",
      "send false u1 traffic",
      "send false u1 traffic",
      "history true u2 traffic",
      "history false u2 traffic",
    ]);
  });

  it("counts a wrong password as a good login and a server error as a bad one", () => {
    const { traffic, events } = recorded();
    traffic.login("alice", "ok", 50, "u1");
    traffic.login("alice", "invalid_credentials", 50);
    traffic.login("alice", "internal", 50);
    traffic.login("alice", "rate_limited", 1);
    expect(events.map((e) => `${e.sli} ${e.ok} ${e.userId}`)).toEqual([
      "login true u1",
      "login true undefined",
      "login false undefined",
    ]);
  });

  it("leaves the probe accounts out, by id for requests and by name for logins", () => {
    const { traffic, events } = recorded();
    traffic.exclude("Canary_A");
    traffic.login("canary_a", "internal", 5);
    traffic.exclude("canary_a", "c1");
    traffic.request("message.send", "c1", "unavailable", 5);
    traffic.request("message.send", "u1", "unavailable", 5);
    expect(events.map((e) => e.userId)).toEqual(["u1"]);
  });
});
