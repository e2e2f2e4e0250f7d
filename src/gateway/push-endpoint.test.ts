/** @module The push endpoint policy: https on public addresses only, unless private endpoints are allowed for tests. */
import { describe, expect, it } from "vitest";
import { checkPushEndpoint } from "./push-endpoint.js";

describe("checkPushEndpoint", () => {
  it("takes the push services' https endpoints", () => {
    for (const url of [
      "https://fcm.googleapis.com/fcm/send/abc:APA91b",
      "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
      "https://web.push.apple.com/QGuQ",
      "https://8.8.8.8/push",
    ]) {
      expect(checkPushEndpoint(url, false)).toBe(new URL(url).toString());
    }
  });

  it("refuses http, credentials and every loopback, private, link-local or special address (SSRF)", () => {
    for (const url of [
      "http://fcm.googleapis.com/fcm/send/x",
      "https://user:pw@fcm.googleapis.com/x",
      "https://localhost/push",
      "https://push.localhost./x",
      "https://127.0.0.1/push",
      "https://127.1/push",
      "https://2130706433/push",
      "https://10.0.0.7/push",
      "https://192.168.1.1/push",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/push",
      "https://[::ffff:127.0.0.1]/push",
      "https://[fd00::1]/push",
      "file:///etc/passwd",
      "not a url",
    ]) {
      expect(() => checkPushEndpoint(url, false), url).toThrow(expect.objectContaining({ code: "invalid_request" }));
    }
  });

  it("takes a loopback http endpoint only when private endpoints are allowed (tests)", () => {
    expect(checkPushEndpoint("http://127.0.0.1:4000/push/x", true)).toBe("http://127.0.0.1:4000/push/x");
    expect(() => checkPushEndpoint("ftp://127.0.0.1/x", true)).toThrow(
      expect.objectContaining({ code: "invalid_request" }),
    );
  });
});
