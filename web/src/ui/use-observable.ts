/** @module Re-render a component whenever an Observable changes. */
import { useEffect, useState } from "preact/hooks";
import type { Observable } from "../state/observable.js";

/** Subscribe the calling component to `observable` for its lifetime. */
export function useObservable(observable: Observable): void {
  const [, setTick] = useState(0);
  useEffect(() => observable.subscribe(() => setTick((n) => n + 1)), [observable]);
}
