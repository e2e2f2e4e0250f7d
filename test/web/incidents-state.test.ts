/** @module The banner's incident state: several open incidents, resolve one, dismiss one. */
import { describe, expect, it } from "vitest";
import type { IncidentNotice } from "../../src/sdk/index.js";
import { Incidents } from "../../web/src/state/incidents.js";

const notice = (id: string, status: IncidentNotice["status"]): IncidentNotice => ({
  id,
  title: `Incident ${id}`,
  status,
  impact: "major",
  url: `/status/incidents/${id}`,
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
});
