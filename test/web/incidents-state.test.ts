/** @module The banner's incident state: several open incidents, resolve one, dismiss one; what the status page says while the server is away corrects it. */
import { describe, expect, it } from "vitest";
import type { IncidentNotice } from "../../src/sdk/index.js";
import { Incidents } from "../../web/src/state/incidents.js";

const PAGE = "https://chat.example.com";

const notice = (id: string, status: IncidentNotice["status"]): IncidentNotice => ({
  id,
  title: `Incident ${id}`,
  status,
  impact: "major",
  url: `${PAGE}/status/incidents/${id}`,
});

describe("Incidents", () => {
  it("keeps showing another open incident when one of two is resolved", () => {
    const incidents = new Incidents();
    incidents.announce(notice("a", "investigating"));
    incidents.announce(notice("b", "investigating"));
    expect(incidents.current?.id).toBe("b");
    incidents.announce(notice("b", "resolved"));
    expect(incidents.current?.id).toBe("a");
    expect(incidents.count).toBe(1);
    incidents.announce(notice("a", "resolved"));
    expect(incidents.current).toBeUndefined();
  });

  it("hides a dismissed update until the incident's status changes, showing the next open one meanwhile", () => {
    const incidents = new Incidents();
    incidents.announce(notice("a", "investigating"));
    incidents.announce(notice("b", "identified"));
    incidents.dismiss();
    expect(incidents.current?.id).toBe("a");
    incidents.dismiss();
    expect(incidents.current).toBeUndefined();
    incidents.announce(notice("b", "monitoring"));
    expect(incidents.current).toMatchObject({ id: "b", status: "monitoring" });
  });

  it("takes the status page's newer status, and drops what its own page no longer lists", () => {
    const incidents = new Incidents();
    incidents.announce(notice("a", "investigating"));
    incidents.announce(notice("b", "investigating"));
    incidents.announce({ ...notice("c", "investigating"), url: "https://other.example.com/status/incidents/c" });
    expect(incidents.learn({ pageUrl: PAGE, open: [{ id: "b", status: "identified" }] })).toBe(true);
    // `a` was resolved while the server was away; `c` links to another page, which says nothing of it.
    expect(incidents.count).toBe(2);
    expect(incidents.current).toMatchObject({ id: "c", status: "investigating" });
    incidents.dismiss();
    expect(incidents.current).toMatchObject({ id: "b", status: "identified" });
    expect(incidents.learn({ pageUrl: PAGE, open: [{ id: "b", status: "identified" }] })).toBe(false);
  });

  it("believes no resolution from a page it cannot tell is the banner's, nor a status it does not know", () => {
    const incidents = new Incidents();
    incidents.announce(notice("a", "monitoring"));
    expect(incidents.learn({ pageUrl: "", open: [] })).toBe(false);
    expect(incidents.learn({ pageUrl: PAGE, open: [{ id: "a", status: "postmortem" }] })).toBe(false);
    expect(incidents.current).toMatchObject({ id: "a", status: "monitoring" });
  });
});
