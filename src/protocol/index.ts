/** @module The wire protocol: schemas, entities, events and errors shared by server, SDK and tests. */
export * from "./entities.js";
export * from "./errors.js";
export * from "./event-schemas.js";
export * from "./events.js";
export * from "./requests.js";
export * from "./usernames.js";
