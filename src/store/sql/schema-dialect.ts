/** @module Every place the SQLite and PostgreSQL schemas differ, named once: the words schema-migrations.ts is written in. */

/** How a dialect spells the few things the two schemas spell differently. */
export interface SchemaDialect {
  readonly name: "sqlite" | "postgres";
  /**
   * The feed's event id: numbered by the database in commit order, never reused (a client's
   * cursor is an event id, G4). SQLite needs AUTOINCREMENT for "never reused" after the newest row is deleted.
   */
  readonly eventIdKey: string;
  /** A column holding an event id: 64-bit, as the id itself is. */
  readonly eventIdType: string;
  /**
   * Written after the `)` of a table whose primary key is how it is read: SQLite then keeps the
   * rows in the key's own B-tree instead of a rowid table plus an index. PostgreSQL has no such choice.
   */
  readonly keyedTable: string;
  /**
   * The events' `tx` column: on PostgreSQL the id of the transaction that wrote the event (the
   * feed's snapshot cursors compare it with a snapshot); on SQLite always 0 (one writer: ids
   * are in commit order and the feed reads by id).
   */
  readonly eventTransaction: string;
  /** Statements that index `tx` where it is read (PostgreSQL), or nothing. */
  readonly eventTransactionIndex: string;

  /** A 64-bit integer column that is not an event id (a file's size: 2 GiB passes PostgreSQL's INTEGER). */
  readonly bigInteger: string;
  /** An expression for the integer `field` of the JSON text in `column`. */
  jsonInteger(column: string, field: string): string;
}

export const SQLITE_SCHEMA: SchemaDialect = {
  name: "sqlite",
  eventIdKey: "INTEGER PRIMARY KEY AUTOINCREMENT",
  eventIdType: "INTEGER",
  keyedTable: " WITHOUT ROWID",
  eventTransaction: "xid8 NOT NULL DEFAULT 0",
  eventTransactionIndex: "",

  bigInteger: "INTEGER",
  jsonInteger: (column, field) => `json_extract(${column}, '$.${field}')`,
};

export const POSTGRES_SCHEMA: SchemaDialect = {
  name: "postgres",
  eventIdKey: "BIGSERIAL PRIMARY KEY",
  eventIdType: "BIGINT",
  keyedTable: "",
  eventTransaction: "xid8 NOT NULL DEFAULT pg_current_xact_id()",
  eventTransactionIndex: "CREATE INDEX events_transaction ON events(conversation_id, tx);",

  bigInteger: "BIGINT",
  jsonInteger: (column, field) => `(${column}::json->>'${field}')::integer`,
};
