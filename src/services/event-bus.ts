import type { TrackedEvent } from './track-event.ts';

export type EventListener = (events: readonly TrackedEvent[]) => void;

/**
 * In-process fan-out of newly committed events (live streams, forwarding wake-ups). It is a notification path
 * only: the database stays the record, so a listener that missed something reads it from there.
 */
export function createEventBus() {
  const listeners = new Map<string, Set<EventListener>>();
  return {
    publish(projectId: string, events: readonly TrackedEvent[]): void {
      if (events.length === 0) return;
      for (const listener of listeners.get(projectId) ?? []) listener(events);
      for (const listener of listeners.get('*') ?? []) listener(events);
    },
    /** `projectId` '*' hears every project. Returns the unsubscribe function. */
    subscribe(projectId: string, listener: EventListener): () => void {
      const set = listeners.get(projectId) ?? new Set<EventListener>();
      set.add(listener);
      listeners.set(projectId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(projectId);
      };
    },
  };
}

export type EventBus = ReturnType<typeof createEventBus>;
