/** @module Where the tests find the real PostgreSQL and NATS of this machine (and of CI). */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The PostgreSQL database the scale-out tests use; override with TEST_POSTGRES_URL. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** The NATS server the scale-out tests use; override with TEST_NATS_URL. */
export const NATS_URL = process.env.TEST_NATS_URL ?? "nats://127.0.0.1:4222";

/** A fresh schema name, so runs never see each other's rows. */
export function freshSchema(): string {
  return `haetae_t_${randomBytes(6).toString("hex")}`;
}

/** The store URL of a fresh schema. */
export function postgresUrlWithSchema(schema: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
