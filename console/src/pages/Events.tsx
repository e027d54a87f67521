import { Anchor, Badge, Group, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert } from '../components/Form.tsx';
import { useLiveEvents, type LiveEvent } from '../live.ts';
import { when } from '../format.ts';
import { Pager, usePager } from '../components/Pager.tsx';

export default function EventsPage() {
  const { projectId = '' } = useParams();
  const [live, setLive] = useState<LiveEvent[]>([]);
  const [follow, setFollow] = useState(true);
  const pager = usePager();
  const cursor = pager.cursor;
  useLiveEvents(projectId, (events) => { if (follow) setLive((old) => [...events.reverse(), ...old].slice(0, 200)); });
  const list = useQuery({
    queryKey: ['p', projectId, 'events', cursor],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/events', { params: { path: { project_id: projectId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
  });
  const rows = [...live.filter((e) => !(list.data?.data ?? []).some((d) => d.id === e.id)), ...((list.data?.data ?? []) as unknown as LiveEvent[])];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Events</Title>
        <Group><Switch label="Live" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /><Anchor href={`/api/v1/projects/${projectId}/events/export`}>Export (CSV)</Anchor></Group>
      </Group>
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={640}>
        <Table striped fz="sm" aria-label="Events">
          <Table.Thead><Table.Tr><Table.Th>Time</Table.Th><Table.Th>Event</Table.Th><Table.Th>Status</Table.Th><Table.Th>Recipient</Table.Th><Table.Th>Message</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {rows.map((e) => {
              const p = e.properties as Record<string, string | undefined>;
              return (
                <Table.Tr key={e.id}>
                  <Table.Td>{when(e.timestamp * 1000)}</Table.Td>
                  <Table.Td>{e.event}</Table.Td>
                  <Table.Td><Badge variant="light">{p.status ?? p.action_type ?? '—'}</Badge>{p.error ? <Text size="xs" c="red">{p.error}</Text> : null}</Table.Td>
                  <Table.Td>{p.recipient ?? p.phone ?? '—'}</Table.Td>
                  <Table.Td>{p.message_id ? <Link to={`/p/${projectId}/messages/${p.message_id}`}>{p.message_id}</Link> : '—'}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager pager={pager} next={list.data?.next_cursor} />
    </Stack>
  );
}
