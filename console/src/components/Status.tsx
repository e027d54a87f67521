import { Badge, Tooltip } from '@mantine/core';

const colors: Record<string, string> = {
  queued: 'gray', enqueued: 'blue', sent: 'blue', delivered: 'teal', read: 'green',
  enqueued_failed: 'red', failed: 'red', rejected: 'red', deleted: 'gray',
};
/** WhatsApp-like ticks beside the status word, so colour is not the only signal. */
const ticks: Record<string, string> = { queued: '🕓', enqueued: '✓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '✕', rejected: '✕', enqueued_failed: '✕' };

export function StatusBadge({ status, error, explanation }: { status: string; error?: string | null; explanation?: string | null }) {
  const badge = <Badge color={colors[status] ?? 'gray'} variant="light" aria-label={`status ${status}`} data-status={status}>{ticks[status] ?? ''} {status}</Badge>;
  if (error == null) return badge;
  return <Tooltip label={`${error}: ${explanation ?? ''}`} multiline w={280}>{badge}</Tooltip>;
}
