/** @module Observable: a change signal that batches many changes in one turn into one notification. */

/** Subclasses call {@link changed} after they mutate; subscribers re-render once per turn. */
export class Observable {
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  /** Goes up with every notification: a component can tell whether anything changed since it last drew. */
  version = 0;

  /** Call `listener` after changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Something changed: notify once, after the current task's other changes. */
  protected changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.version++;
      for (const listener of [...this.listeners]) listener();
    });
  }
}
