import { Button, Group } from '@mantine/core';
import { useState } from 'react';

/**
 * Keyset paging over a list endpoint: the cursors walked so far, the one to ask with now, and a way back to the
 * first page (when filters change).
 */
export function usePager() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors[cursors.length - 1],
    reset: () => setCursors([]),
    back: cursors.length > 0 ? () => setCursors(cursors.slice(0, -1)) : undefined,
    forward: (next: string | null | undefined) => (next ? () => setCursors([...cursors, next]) : undefined),
  };
}

/** The two buttons of a paged list (newest first unless named otherwise). */
export function Pager({ pager, next, labels = ['Newer', 'Older'] }: { pager: ReturnType<typeof usePager>; next: string | null | undefined; labels?: [string, string] }) {
  const forward = pager.forward(next);
  return (
    <Group>
      <Button variant="default" disabled={pager.back === undefined} onClick={pager.back}>{labels[0]}</Button>
      <Button variant="default" disabled={forward === undefined} onClick={forward}>{labels[1]}</Button>
    </Group>
  );
}
