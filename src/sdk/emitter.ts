/** @module A tiny typed event emitter that works the same in browsers and Node. */

/** Handlers by event name; `on` returns the function that removes the handler. */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Call `handler` for every `type` event until the returned function is called. */
  on<K extends keyof Events>(type: K, handler: (payload: Events[K]) => void): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as (payload: never) => void);
    return () => {
      set.delete(handler as (payload: never) => void);
    };
  }

  /** Deliver `payload` to every handler of `type`. */
  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    const set = this.handlers.get(type);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as (payload: Events[K]) => void)(payload);
      } catch (error) {
        // An app handler's bug must not break reconnects, ordering or the outbox; say so and go on.
        console.error(`haetae: a "${String(type)}" handler threw:`, error);
      }
    }
  }
}
