/**
 * @module The wire protocol: schemas, entities, events and errors shared by server, SDK and tests;
 * the ops API's too (`ops-*`). The schemas of what the server answers (event-schemas.ts,
 * ops-entities.ts, ops-replies.ts) are for clients and tests to check answers with: they are
 * imported from their own modules, and only their types come from here, so a node never builds them.
 */
export * from "./entities.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./notifications.js";
export * from "./notify-rules.js";
export type * from "./ops-entities.js";
export type * from "./ops-replies.js";
export * as opsRequests from "./ops-requests.js";
export * from "./ops-vocabulary.js";
export * from "./requests.js";
export * from "./usernames.js";
export * from "./web-settings.js";
