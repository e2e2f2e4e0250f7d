import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_URL } from "../../../test/services.js";
import { PLANNED_PER_CALL } from "../sql/sql-driver.js";
import { PgExecutor } from "./postgres-connection.js";

describe("PgExecutor", () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  const preparedLike = async (text: string) =>
    Number(
      (
        await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1", [
          `%${text}%`,
        ])
      ).rows[0]?.n,
    );

  it("prepares a statement once by name, but plans one marked PLANNED_PER_CALL with its parameters at every call", async () => {
    const db = new PgExecutor(client);
    for (let i = 0; i < 7; i++) {
      expect(await db.get<{ v: number }>("SELECT ?::int + 1 AS v /* named-check */", [i])).toEqual({ v: i + 1 });
      expect(await db.get<{ v: number }>(`${PLANNED_PER_CALL}SELECT ?::int + 2 AS v /* unnamed-check */`, [i])).toEqual(
        {
          v: i + 2,
        },
      );
    }
    // A named statement stays prepared on the connection (and goes generic after five calls); an
    // unnamed one is gone after its call, so each call is planned with its own values.
    expect(await preparedLike("named-check")).toBe(1);
    expect(await preparedLike("unnamed-check")).toBe(0);
  });
});
