/** @module The severity table: the default rules grade by function, share and duration; a custom table grades by its own rows. */
import { describe, expect, it } from "vitest";
import { DEFAULT_SEVERITY_RULES, type SeverityRule } from "../../config/tower-settings.js";
import { noImpact } from "./impact.js";
import type { ComponentFunction, MeasuredImpact } from "./model.js";
import { gradeSeverity } from "./severity.js";

const grade = (fns: ComponentFunction[], m: Partial<MeasuredImpact>) =>
  gradeSeverity(DEFAULT_SEVERITY_RULES, new Set(fns), { ...noImpact(), ...m }).severity;

describe("default severity rules", () => {
  it("grades messaging by the share of users or sends affected, and raises a lasting one", () => {
    expect(grade(["messaging"], {})).toBe("SEV4"); // nothing measured yet
    expect(grade(["messaging"], { sendFailureShare: 0.02 })).toBe("SEV3");
    expect(grade(["messaging"], { sendFailureShare: 0.3 })).toBe("SEV1");
    expect(grade(["messaging"], { userShare: 0.25 })).toBe("SEV1");
    expect(grade(["messaging"], { userShare: 0.1 })).toBe("SEV2");
    expect(grade(["messaging"], { userShare: 0.1, durationMs: 31 * 60_000 })).toBe("SEV1");
    expect(grade(["messaging"], { probesRun: 4, probesFailed: 2 })).toBe("SEV2");
  });

  it("weighs login below messaging, files below login, cosmetics last", () => {
    expect(grade(["login"], { userShare: 0.5 })).toBe("SEV2");
    expect(grade(["login"], { loginsAttempted: 10, loginsFailed: 3 })).toBe("SEV2");
    expect(grade(["login"], { loginsAttempted: 10, loginsFailed: 1 })).toBe("SEV3");
    expect(grade(["files"], { userShare: 0.9 })).toBe("SEV3");
    expect(grade(["cosmetic"], { userShare: 0.9 })).toBe("SEV4");
    // The worst function of an incident's components decides.
    expect(grade(["cosmetic", "messaging"], { sendFailureShare: 0.5 })).toBe("SEV1");
    // An incident on no component: measured impact alone decides.
    expect(grade([], { sendFailureShare: 0.5 })).toBe("SEV1");
  });
});

describe("a custom table", () => {
  it("grades by its own rows", () => {
    const custom: SeverityRule[] = [{ severity: "SEV2", functions: ["files"], anyOf: { userShare: 0.1 } }];
    expect(gradeSeverity(custom, new Set(["files"]), { ...noImpact(), userShare: 0.2 }).severity).toBe("SEV2");
    expect(gradeSeverity(custom, new Set(["files"]), { ...noImpact(), userShare: 0.05 }).severity).toBe("SEV4");
  });
});
