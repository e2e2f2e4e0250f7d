/** @module The wire protocol: schemas, entities, events and errors shared by server, SDK and tests; the ops API's too (`ops-*`). */
export * from "./entities.js";
export * from "./errors.js";
export * from "./event-schemas.js";
export * from "./events.js";
export * from "./notifications.js";
export * from "./notify-rules.js";
export * from "./ops-entities.js";
export * from "./ops-replies.js";
export * as opsRequests from "./ops-requests.js";
export * from "./ops-vocabulary.js";
export * from "./requests.js";
export * from "./usernames.js";
export * from "./web-settings.js";
