/** @module A component's name per language: the operator's `names` first, then the Korean name of a default component kept as it was, then `name`; the public words of a custom component use it. */
import { describe, expect, it } from "vitest";
import type { Component, Incident } from "./model.js";
import { componentName, publicTitle } from "./public-words.js";

const AT = "2026-12-01T00:00:00.000Z";

function component(fields: Pick<Component, "id" | "name" | "function"> & Partial<Component>): Component {
  return { description: "", status: "operational", updatedAt: AT, createdAt: AT, ...fields };
}

const PAYMENTS = component({ id: "payments", name: "Payments", names: { ko: "결제" }, function: "cosmetic" });
const SEARCH = component({ id: "search", name: "Search", function: "cosmetic" });

describe("componentName", () => {
  it("reads the operator's name for the language, and `name` where none is given", () => {
    expect(componentName(PAYMENTS, "ko")).toBe("결제");
    expect(componentName(PAYMENTS, "en")).toBe("Payments");
    expect(componentName({ ...PAYMENTS, names: { en: "Billing", ko: "결제" } }, "en")).toBe("Billing");
    expect(componentName(SEARCH, "ko")).toBe("Search");
  });

  it("keeps the Korean names of the default components, unless renamed, and lets `names` override them", () => {
    expect(componentName({ id: "messaging", name: "Messaging" }, "ko")).toBe("메시지");
    expect(componentName({ id: "messaging", name: "Chat" }, "ko")).toBe("Chat");
    expect(componentName({ id: "messaging", name: "Chat", names: { ko: "채팅" } }, "ko")).toBe("채팅");
    expect(componentName({ id: "messaging", name: "Messaging", names: { ko: "대화" } }, "ko")).toBe("대화");
  });
});

describe("an alert-opened incident on a custom component", () => {
  const incident = {
    id: "inc1",
    origin: "alert",
    title: "probe payments failing at 40%",
    components: [
      { id: "payments", status: "partial_outage" },
      { id: "search", status: "major_outage" },
    ],
  } as Incident;

  it("names the component in the reader's language", () => {
    expect(publicTitle(incident, [PAYMENTS, SEARCH], "ko")).toBe(
      "결제: 일부 사용자에게 문제가 있습니다, Search: 이용할 수 없습니다",
    );
    expect(publicTitle(incident, [PAYMENTS, SEARCH], "en")).toBe(
      "Payments is failing for some people; Search is not working",
    );
  });
});
