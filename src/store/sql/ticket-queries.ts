/** @module SQL of the one-time WebSocket tickets: insert, redeem once, sweep the expired. */
import type { SqlExecutor } from "./sql-driver.js";

export async function insertTicket(
  db: SqlExecutor,
  ticketHash: string,
  deviceId: string,
  expiresAt: string,
): Promise<void> {
  await db.run("INSERT INTO ws_tickets (ticket_hash, device_id, expires_at) VALUES (?, ?, ?)", [
    ticketHash,
    deviceId,
    expiresAt,
  ]);
}

/**
 * Delete the ticket and say which device it named, in one statement: of two nodes redeeming
 * the same ticket at once, exactly one gets the row. An expired ticket is deleted too, but not
 * returned.
 */
export async function takeTicket(db: SqlExecutor, ticketHash: string, now: string): Promise<string | null> {
  const row = await db.get<{ device_id: string; expires_at: string }>(
    "DELETE FROM ws_tickets WHERE ticket_hash = ? RETURNING device_id, expires_at",
    [ticketHash],
  );
  return row && row.expires_at > now ? row.device_id : null;
}

export async function deleteExpiredTickets(db: SqlExecutor, now: string): Promise<number> {
  return (await db.run("DELETE FROM ws_tickets WHERE expires_at <= ?", [now])).changes;
}

export async function deleteDeviceTickets(db: SqlExecutor, deviceId: string): Promise<void> {
  await db.run("DELETE FROM ws_tickets WHERE device_id = ?", [deviceId]);
}
