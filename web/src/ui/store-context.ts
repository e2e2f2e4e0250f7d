/** @module The signed-in AppStore, handed to every component through context. */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { AppStore } from "../state/app-store.js";

export const StoreContext = createContext<AppStore | undefined>(undefined);

/** The store; only components under the signed-in shell call this. */
export function useStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("useStore outside the signed-in app");
  return store;
}
