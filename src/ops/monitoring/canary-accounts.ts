/** @module The probes' two canary accounts: names and password from the config, or generated once and kept in the data folder; made in the store by the server. */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashPassword, verifyPassword } from "../../chat/accounts.js";
import type { ChatContext } from "../../chat/context.js";
import { ensureSystemAccount } from "../../chat/system-accounts.js";
import { makePrivateFolder } from "../../store/data-folder.js";

/** The canaries' credentials: A sends to B in their direct conversation. */
export interface CanaryCredentials {
  senderUsername: string;
  recipientUsername: string;
  password: string;
}

/** The file in the data folder that keeps generated credentials across restarts. */
export const CANARY_FILE = "probe-canaries.json";

/**
 * The canaries of this node. A `prefix` and `password` from the config win (nodes that share a
 * store then share canaries: `<prefix>_a` and `<prefix>_b`); what the config leaves empty is
 * generated once and kept in `<data>/probe-canaries.json` (mode 0600), so a restart logs the same
 * accounts in instead of registering new ones every time.
 */
export function canaryCredentials(dataDir: string, prefix: string, password: string): CanaryCredentials {
  const file = join(dataDir, CANARY_FILE);
  let kept: Partial<{ prefix: string; password: string }> = {};
  if (existsSync(file)) {
    try {
      kept = JSON.parse(readFileSync(file, "utf8")) as typeof kept;
    } catch {
      kept = {}; // unreadable: generate anew (new canaries are registered; nothing else depends on them)
    }
  }
  // Only generated values are written: a password given in the config stays out of the data folder.
  const next = { ...kept };
  if (!prefix && !kept.prefix) next.prefix = `canary_${randomBytes(5).toString("hex")}`;
  if (!password && !kept.password) next.password = randomBytes(24).toString("base64url");
  if (next.prefix !== kept.prefix || next.password !== kept.password) {
    makePrivateFolder(dataDir);
    const temporary = `${file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, file);
  }
  const chosen = { prefix: prefix || (next.prefix as string), password: password || (next.password as string) };
  return {
    senderUsername: `${chosen.prefix}_a`,
    recipientUsername: `${chosen.prefix}_b`,
    password: chosen.password,
  };
}

/**
 * Make both canaries in the store, marked as canary accounts from their first moment, so nobody
 * can add them to a conversation (src/chat/system-accounts.ts); canaries that an earlier version
 * registered through the public API are marked when the canary password opens them. A name held
 * by someone else is refused (the probes then fail their login, which shows it).
 */
export async function ensureCanaryAccounts(ctx: ChatContext, credentials: CanaryCredentials): Promise<void> {
  const accounts = [
    [credentials.senderUsername, "A"],
    [credentials.recipientUsername, "B"],
  ] as const;
  for (const [username, label] of accounts) {
    await ensureSystemAccount(ctx, {
      username,
      displayName: `Probe canary ${label}`,
      kind: "canary",
      passwordHash: () => hashPassword(credentials.password, ctx.limits.scryptLogN),
      isOwn: (record) => verifyPassword(credentials.password, record.passwordHash),
    });
  }
}
