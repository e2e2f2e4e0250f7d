/** @module The VAPID pair made without web-push: web-push accepts it and signs with it, and its halves belong together. */
import { createECDH } from "node:crypto";
import { describe, expect, it } from "vitest";
import webpush from "web-push";
import { newKeyPair } from "./vapid-keys.js";

describe("newKeyPair", () => {
  it("makes a P-256 pair web-push takes for VAPID, public half derived from the private", () => {
    for (let i = 0; i < 20; i++) {
      const pair = newKeyPair();
      expect(Buffer.from(pair.publicKey, "base64url")).toHaveLength(65);
      expect(Buffer.from(pair.privateKey, "base64url")).toHaveLength(32);
      expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]+$/);
      const ecdh = createECDH("prime256v1");
      ecdh.setPrivateKey(Buffer.from(pair.privateKey, "base64url"));
      expect(ecdh.getPublicKey().toString("base64url")).toBe(pair.publicKey);
      // web-push validates both keys (lengths, URL-safe base64) before it signs a request with them.
      const headers = webpush.getVapidHeaders(
        "https://push.example.test",
        "mailto:push@haetae.invalid",
        pair.publicKey,
        pair.privateKey,
        "aes128gcm",
      );
      expect(headers.Authorization).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=/);
      expect(headers.Authorization).toContain(`k=${pair.publicKey}`);
    }
  });
});
