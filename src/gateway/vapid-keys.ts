/** @module The server's VAPID key pair (RFC 8292): from the config, or made once and kept in the data folder. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import webpush from "web-push";
import type { Config } from "../config/config.js";
import { PRIVATE_FILE_MODE } from "../store/data-folder.js";

/** The key pair and the contact push services see in its tokens. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The file in the data folder that keeps the pair made on the embedded default. */
export const VAPID_FILE = "vapid.json";

/**
 * The pair the config names (both keys, so every node of a cluster signs alike and a browser's
 * subscription works through any of them); otherwise the pair in the data folder, made at the
 * first start, written 0600 and only if absent (`wx`: of two starts racing, both read the winner's).
 * Changing the pair voids every subscription, so it is made once and kept.
 */
export function loadVapidKeys(
  config: Pick<Config, "vapidPublicKey" | "vapidPrivateKey" | "vapidSubject" | "data" | "publicUrl">,
): VapidKeys {
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
  const file = join(config.data, VAPID_FILE);
  try {
    writeFileSync(file, `${JSON.stringify(webpush.generateVAPIDKeys())}\n`, { flag: "wx", mode: PRIVATE_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const kept = JSON.parse(readFileSync(file, "utf8")) as { publicKey?: unknown; privateKey?: unknown };
  if (typeof kept.publicKey !== "string" || typeof kept.privateKey !== "string") {
    throw new Error(`${file} does not hold a VAPID key pair; remove it to make a new one (subscriptions then end)`);
  }
  return { publicKey: kept.publicKey, privateKey: kept.privateKey, subject };
}
