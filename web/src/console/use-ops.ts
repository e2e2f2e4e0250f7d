/** @module Console data hooks: load from the ops API (refreshed while shown) and run an action, keeping the server's refusal to show. */
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import type { OpsActor } from "../../../src/protocol/index.js";
import type { OpsApi } from "../../../src/sdk/ops-api.js";
import { HaetaeRequestError, toRequestError } from "../../../src/sdk/request-error.js";

/** The signed-in staff member and their API, for every console screen. */
export const ConsoleContext = createContext<{ api: OpsApi; actor: OpsActor } | null>(null);

export function useConsole(): { api: OpsApi; actor: OpsActor } {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("console screens render inside ConsoleContext");
  return value;
}

/**
 * Several people work one incident at once: what others change shows within this long without
 * a reload. Polling is enough at staff scale and keeps the console off the chat socket, which
 * is the thing that may be broken during an incident.
 */
const REFRESH_MS = 4000;

/** What a screen shows: the last answer, the last refusal, and a way to ask again now. */
export interface Loaded<T> {
  data: T | undefined;
  error: HaetaeRequestError | undefined;
  reload(): void;
}

/** Load `load()` when `key` changes, then every few seconds while the page is visible. */
export function useLoad<T>(load: (api: OpsApi) => Promise<T>, key: string, refreshMs = REFRESH_MS): Loaded<T> {
  const { api } = useConsole();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<HaetaeRequestError | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const latest = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  // A new key (another incident) must not show the previous one's data while it loads.
  const shownKey = useRef(key);
  if (shownKey.current !== key) {
    shownKey.current = key;
    setData(undefined);
    setError(undefined);
  }

  // `version` is the reload signal; the loader is read through a ref so a new closure does not reload.
  useEffect(() => {
    const ticket = ++latest.current;
    loader
      .current(api)
      .then((value) => {
        if (ticket !== latest.current) return; // an older answer arriving late must not win
        setData(value);
        setError(undefined);
      })
      .catch((thrown: unknown) => {
        if (ticket === latest.current) setError(toRequestError(thrown));
      });
  }, [api, key, version]);

  useEffect(() => {
    if (refreshMs <= 0) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") setVersion((v) => v + 1);
    }, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, reload };
}

/** An action in flight: `run` resolves true on success; a refusal stays in `error` until the next run. */
export interface Action {
  run(action: () => Promise<unknown>): Promise<boolean>;
  busy: boolean;
  error: HaetaeRequestError | undefined;
}

/** Run actions one at a time; `onDone` (usually a reload) follows each success. */
export function useAction(onDone?: () => void): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<HaetaeRequestError | undefined>(undefined);
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      onDone?.();
      return true;
    } catch (thrown) {
      setError(thrown instanceof HaetaeRequestError ? thrown : toRequestError(thrown));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy, error };
}
