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
  bigInteger: "INTEGER",
  jsonInteger: (column, field) => `json_extract(${column}, '$.${field}')`,
};

export const POSTGRES_SCHEMA: SchemaDialect = {
  name: "postgres",
  eventIdKey: "BIGSERIAL PRIMARY KEY",
  eventIdType: "BIGINT",
  keyedTable: "",
  bigInteger: "BIGINT",
  jsonInteger: (column, field) => `(${column}::json->>'${field}')::integer`,
};
