import { useEffect, useRef } from 'react';

export interface LiveEvent { id: string; event: string; timestamp: number; properties: Record<string, unknown> }

/**
 * The project's event stream (Server-Sent Events, the session cookie authenticates it). The browser reconnects by
 * itself with `Last-Event-ID`; `onEvent` gets every event, batched per 200 ms.
 */
export function useLiveEvents(projectId: string, onEvent: (events: LiveEvent[]) => void, onState?: (connected: boolean) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const state = useRef(onState);
  state.current = onState;
  useEffect(() => {
    const source = new EventSource(`/api/v1/projects/${encodeURIComponent(projectId)}/events/stream`);
    source.onopen = () => state.current?.(true);
    source.onerror = () => state.current?.(false);
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
        handler.current(batch);
      }, 200);
    };
    return () => {
      source.close();
      state.current?.(false);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [projectId]);
}
