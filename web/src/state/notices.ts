/** @module Short messages for the user (an error code or a text key), shown one at a time in a live region. */

/** A notice: `code` is an error code or an i18n key; the UI translates it. */
export interface Notice {
  id: number;
  kind: "error" | "info";
  code: string;
  /** The server's own words, shown when the UI has no translation for the code. */
  detail?: string;
}

let next = 1;

/** Make a notice with a fresh id (so the same error twice still shows twice). */
export function notice(kind: Notice["kind"], code: string, detail?: string): Notice {
  return { id: next++, kind, code, ...(detail !== undefined ? { detail } : {}) };
}
