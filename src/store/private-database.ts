/** @module A SQLite database file opened private to the server's user (0600), as the data folder's files are. */
import { closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { PRIVATE_FILE_MODE } from "./data-folder.js";

/**
 * Open a SQLite database file, creating it as 0600 first. SQLite gives its `-wal` and `-shm`
 * files the mode of the database file, so they are 0600 too.
 */
export function openPrivateDatabase(file: string): Database.Database {
  closeSync(openSync(file, "a", PRIVATE_FILE_MODE));
  return new Database(file);
}
