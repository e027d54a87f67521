import { useEffect, useRef } from 'react';

export interface LiveEvent { id: string; event: string; timestamp: number; properties: Record<string, unknown> }

interface Listener { onEvents: (events: LiveEvent[]) => void; onState?: ((connected: boolean) => void) | undefined }

/**
 * One event stream per project for the whole page (Server-Sent Events, the session cookie authenticates it), shared
 * by every screen listening: a tab holds one stream, not one per component. The browser reconnects by itself with
 * `Last-Event-ID`; listeners get every event, batched per 200 ms. Closed when the last listener leaves.
 */
const streams = new Map<string, { source: EventSource; listeners: Set<Listener>; connected: boolean }>();

function subscribe(projectId: string, listener: Listener): () => void {
  let stream = streams.get(projectId);
  if (stream === undefined) {
    const source = new EventSource(`/api/v1/projects/${encodeURIComponent(projectId)}/events/stream`);
    const created = { source, listeners: new Set<Listener>(), connected: false };
    const setState = (connected: boolean) => {
      created.connected = connected;
      for (const l of created.listeners) l.onState?.(connected);
    };
    source.onopen = () => setState(true);
    source.onerror = () => setState(false);
    let pending: LiveEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    source.onmessage = (message: MessageEvent<string>) => {
      try {
        pending.push(JSON.parse(message.data) as LiveEvent);
      } catch {
        return;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        const batch = pending;
        pending = [];
        for (const l of created.listeners) l.onEvents([...batch]);
      }, 200);
    };
    stream = created;
    streams.set(projectId, stream);
  }
  const current = stream;
  current.listeners.add(listener);
  listener.onState?.(current.connected);
  return () => {
    current.listeners.delete(listener);
    listener.onState?.(false);
    if (current.listeners.size === 0) {
      current.source.close();
      streams.delete(projectId);
    }
  };
}

/** Every event of the project as it happens, and (optionally) whether the stream is connected. */
export function useLiveEvents(projectId: string, onEvent: (events: LiveEvent[]) => void, onState?: (connected: boolean) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const state = useRef(onState);
  state.current = onState;
  useEffect(() => subscribe(projectId, {
    onEvents: (events) => handler.current(events),
    onState: (connected) => state.current?.(connected),
  }), [projectId]);
}
