/** @module The server's VAPID key pair (RFC 8292): from the config, or made once and kept where every node reads it (the data folder, or the shared store). */
import { createECDH } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { PRIVATE_FILE_MODE } from "../store/data-folder.js";
import type { Store } from "../store/store.js";

/** The key pair and the contact push services see in its tokens. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The file in the data folder that keeps the pair made on the embedded default. */
export const VAPID_FILE = "vapid.json";

/** The server setting (`Store.claimSetting`) that keeps the pair made by a cluster's first node. */
export const VAPID_SETTING = "vapid.keys";

/**
 * The pair the config names (both keys); otherwise one made at the first start and kept: on the
 * embedded default (SQLite) in the data folder, written 0600 and only if absent (`wx`: of two
 * starts racing, both read the winner's); on a shared store (PostgreSQL, scale-out) in the store's
 * server settings, inserted only if absent, so every node of a cluster signs with the same pair
 * whichever starts first — a pair per node would make a browser's subscription, made through one
 * node, fail when another pushes (the push service checks the key it was subscribed with).
 * Changing the pair voids every subscription, so it is made once and kept.
 */
export async function loadVapidKeys(
  config: Pick<Config, "vapidPublicKey" | "vapidPrivateKey" | "vapidSubject" | "data" | "publicUrl" | "store">,
  store: Pick<Store, "claimSetting">,
  now: () => Date = () => new Date(),
): Promise<VapidKeys> {
  const subject =
    config.vapidSubject !== ""
      ? config.vapidSubject
      : config.publicUrl.startsWith("https://")
        ? config.publicUrl
        : "mailto:push@haetae.invalid";
  if ((config.vapidPublicKey === "") !== (config.vapidPrivateKey === "")) {
    throw new Error("vapidPublicKey and vapidPrivateKey are set together, or neither");
  }
  if (config.vapidPublicKey !== "") {
    return { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey, subject };
  }
  if (config.store !== "sqlite") {
    const made = JSON.stringify(newKeyPair());
    const kept = await store.claimSetting(VAPID_SETTING, made, now().toISOString());
    return { ...keyPair(JSON.parse(kept), `the server setting ${VAPID_SETTING}`), subject };
  }
  const file = join(config.data, VAPID_FILE);
  try {
    writeFileSync(file, `${JSON.stringify(newKeyPair())}\n`, { flag: "wx", mode: PRIVATE_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return { ...keyPair(JSON.parse(readFileSync(file, "utf8")), file), subject };
}

/**
 * A new P-256 pair as web-push's `generateVAPIDKeys` makes it (uncompressed public point, 65
 * bytes; private scalar, 32 bytes; both base64url), made here so that start-up does not load
 * web-push (it is loaded at the first push, push-sender.ts).
 */
export function newKeyPair(): { publicKey: string; privateKey: string } {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const pad = (bytes: Buffer, length: number) =>
    Buffer.concat([Buffer.alloc(Math.max(0, length - bytes.length)), bytes]);
  return {
    publicKey: pad(ecdh.getPublicKey(), 65).toString("base64url"),
    privateKey: pad(ecdh.getPrivateKey(), 32).toString("base64url"),
  };
}

function keyPair(kept: { publicKey?: unknown; privateKey?: unknown }, where: string) {
  if (typeof kept.publicKey !== "string" || typeof kept.privateKey !== "string") {
    throw new Error(`${where} does not hold a VAPID key pair; remove it to make a new one (subscriptions then end)`);
  }
  return { publicKey: kept.publicKey, privateKey: kept.privateKey };
}
