import { Alert, Badge, Box, Button, Card, Grid, Group, Paper, ScrollArea, Stack, Table, Text, Textarea, Title, UnstyledButton } from '@mantine/core';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError } from '../components/Form.tsx';
import { StatusBadge } from '../components/Status.tsx';
import { TemplatePicker, templateMessage, useDefaultWhatsApp, type TemplateChoice } from '../components/TemplatePicker.tsx';
import { timeLeft, when } from '../format.ts';

type Conversation = Awaited<ReturnType<typeof loadPage>>['data'][number];
async function loadPage(projectId: string, cursor: string | undefined) {
  return unwrap(await api.GET('/api/v1/projects/{project_id}/conversations', { params: { path: { project_id: projectId }, query: { limit: 200, ...(cursor ? { cursor } : {}) } } }));
}

/** Conversations, newest activity first: a virtualised list that loads further pages as it scrolls. */
function ConversationList({ projectId, selected }: { projectId: string; selected: string | undefined }) {
  const navigate = useNavigate();
  const pages = useInfiniteQuery({
    queryKey: ['p', projectId, 'conversations'],
    queryFn: ({ pageParam }) => loadPage(projectId, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows: Conversation[] = pages.data?.pages.flatMap((p) => p.data) ?? [];
  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => 64, overscan: 8 });
  const items = virtual.getVirtualItems();
  const last = items[items.length - 1];
  useEffect(() => {
    if (last !== undefined && last.index >= rows.length - 20 && pages.hasNextPage && !pages.isFetchingNextPage) void pages.fetchNextPage();
  }, [last, rows.length, pages]);
  return (
    <Paper withBorder h="calc(100vh - 150px)" style={{ display: 'flex', flexDirection: 'column' }}>
      <ErrorAlert error={pages.error} />
      {rows.length === 0 && !pages.isPending && <Text p="md" c="dimmed">No conversations yet: they start when a customer writes.</Text>}
      <div ref={parent} style={{ overflow: 'auto', flex: 1 }} role="list" aria-label="Conversations">
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const c = rows[item.index]!;
            return (
              <UnstyledButton key={c.id} role="listitem" aria-current={c.id === selected} onClick={() => void navigate(`/p/${projectId}/inbox/${c.id}`)}
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', height: item.size, transform: `translateY(${item.start}px)`, padding: '8px 12px', borderBottom: '1px solid var(--mantine-color-gray-2)', background: c.id === selected ? 'var(--mantine-color-teal-0)' : undefined }}>
                <Group justify="space-between" wrap="nowrap">
                  <Text fw={c.unread_count > 0 ? 700 : 400} size="sm">{c.phone}</Text>
                  {c.unread_count > 0 && <Badge size="sm" aria-label={`${c.unread_count} unread`}>{c.unread_count}</Badge>}
                </Group>
                <Text size="xs" c="dimmed">{c.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} · {when(c.last_message_at)}</Text>
              </UnstyledButton>
            );
          })}
        </div>
      </div>
    </Paper>
  );
}

interface Item { direction: 'inbound' | 'outbound'; id: string; at: string; channel: string; kind: string; text?: string | null; status?: string; error?: string | null; message?: Record<string, unknown>; postback_data?: string | null }

function textOf(item: Item): string {
  if (item.text) return item.text;
  const m = item.message ?? {};
  const text = (m.text_message as { text?: string } | undefined)?.text;
  if (text) return text;
  const template = m.template_message as { channel_template?: { WHATSAPP?: { template_id?: string } } } | undefined;
  if (template) return `Template ${template.channel_template?.WHATSAPP?.template_id ?? ''}`;
  return `(${item.kind})`;
}

function Thread({ projectId, conversationId }: { projectId: string; conversationId: string }) {
  const client = useQueryClient();
  const errors = useApiError();
  const thread = useQuery({
    queryKey: ['p', projectId, 'conversations', conversationId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/conversations/{conversation_id}', { params: { path: { project_id: projectId, conversation_id: conversationId }, query: { limit: 200 } } })),
  });
  const markRead = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/conversations/{conversation_id}/read', { params: { path: { project_id: projectId, conversation_id: conversationId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'conversations'] }),
  });
  const unread = thread.data?.unread_count ?? 0;
  useEffect(() => { if (unread > 0) markRead.mutate(); }, [unread]);
  const [text, setText] = useState('');
  const [template, setTemplate] = useState<TemplateChoice | undefined>();
  const whatsappProvider = useDefaultWhatsApp(projectId);
  const windowOpen = thread.data?.channel !== 'whatsapp' || thread.data.whatsapp_window?.open === true;
  const reply = useMutation({
    mutationFn: async (message: object) => unwrap(await api.POST('/api/v1/projects/{project_id}/conversations/{conversation_id}/messages', {
      params: { path: { project_id: projectId, conversation_id: conversationId } }, body: { message } as never,
    })),
    onSuccess: async () => { setText(''); await client.invalidateQueries({ queryKey: ['p', projectId] }); },
    onError: (failure) => errors.set(failure),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    errors.clear();
    if (windowOpen) reply.mutate({ text_message: { text } });
    else if (template !== undefined) reply.mutate(templateMessage(template));
  }
  const items = (thread.data?.items ?? []) as unknown as Item[];
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => { bottom.current?.scrollIntoView({ block: 'end' }); }, [items.length]);
  if (thread.data === undefined) return <ErrorAlert error={thread.error} />;
  const c = thread.data;
  return (
    <Paper withBorder p="sm" h="calc(100vh - 150px)" style={{ display: 'flex', flexDirection: 'column' }}>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">{c.phone}</Title>
        <Group gap={4}>
          {c.channel === 'whatsapp' && (
            <Badge color={windowOpen ? 'teal' : 'yellow'} variant="outline" aria-label="WhatsApp window">
              {c.whatsapp_window?.open && c.whatsapp_window.closes_at ? `window closes in ${timeLeft(c.whatsapp_window.closes_at) ?? '0 m'}` : 'window closed'}
            </Badge>
          )}
          <Badge variant="light">{c.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'}</Badge>
        </Group>
      </Group>
      <ScrollArea style={{ flex: 1 }} aria-label="Thread">
        <Stack gap="xs" p="xs">
          {items.map((item) => (
            <Box key={item.id} style={{ alignSelf: item.direction === 'inbound' ? 'flex-start' : 'flex-end', maxWidth: '75%' }}>
              <Paper p="xs" radius="lg" bg={item.direction === 'inbound' ? 'gray.1' : 'teal.0'} data-direction={item.direction}>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{textOf(item)}</Text>
                <Group gap={4} justify="flex-end">
                  <Text size="xs" c="dimmed">{new Date(item.at).toLocaleTimeString()}{item.channel === 'sms' ? ' · SMS' : ''}</Text>
                  {item.status && <StatusBadge status={item.status} error={item.error ?? null} />}
                </Group>
              </Paper>
            </Box>
          ))}
          <div ref={bottom} />
        </Stack>
      </ScrollArea>
      <form onSubmit={submit} noValidate aria-label="Reply">
        {windowOpen ? (
          <Group align="flex-end" wrap="nowrap">
            <Textarea aria-label="Reply text" placeholder="Write a reply" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={1} maxRows={4} style={{ flex: 1 }} error={errors.of('message.text_message.text')} />
            <Button type="submit" loading={reply.isPending} disabled={text.trim() === ''}>Send</Button>
          </Group>
        ) : (
          <Stack gap={4}>
            <Alert color="yellow" p="xs">The WhatsApp 24-hour window is closed: only an approved template can be sent.</Alert>
            <TemplatePicker projectId={projectId} integrationId={whatsappProvider} value={template} onChange={setTemplate} error={errors.of('message.template_message.channel_template.WHATSAPP.template_id')} />
            <Group><Button type="submit" size="xs" loading={reply.isPending} disabled={template === undefined}>Send template</Button></Group>
          </Stack>
        )}
        {errors.general(['message.text_message.text'])}
      </form>
    </Paper>
  );
}

function CustomerPanel({ projectId, customerId }: { projectId: string; customerId: string }) {
  const customer = useQuery({
    queryKey: ['p', projectId, 'customers', customerId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/customers/{customer_id}', { params: { path: { project_id: projectId, customer_id: customerId } } })),
  });
  const ledger = useQuery({
    queryKey: ['p', projectId, 'customers', customerId, 'consent'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/customers/{customer_id}/consent', { params: { path: { project_id: projectId, customer_id: customerId }, query: { limit: 100 } } })).data,
  });
  const c = customer.data;
  if (c === undefined) return <ErrorAlert error={customer.error} />;
  return (
    <Card withBorder aria-label="Customer">
      <Title order={3} size="h5">Customer</Title>
      <Text size="sm">{c.phone}{c.time_zone ? ` · ${c.time_zone}` : ''}</Text>
      {c.tags.length > 0 && <Group gap={4} mt={4}>{c.tags.map((t) => <Badge key={t} size="xs" variant="outline">{t}</Badge>)}</Group>}
      <Title order={4} size="h6" mt="sm">Consent</Title>
      <Group gap={4} aria-label="Consent">
        {(['whatsapp', 'rcs', 'sms'] as const).map((ch) => (
          <Badge key={ch} color={c.consent[ch] === 'revoked' ? 'red' : c.consent[ch] === 'granted' ? 'teal' : 'gray'} data-consent={`${ch}:${c.consent[ch]}`}>{ch}: {c.consent[ch]}</Badge>
        ))}
      </Group>
      <Table mt="xs" fz="xs">
        <Table.Tbody>
          {ledger.data?.slice().reverse().map((e) => (
            <Table.Tr key={e.id}><Table.Td>{when(e.at)}</Table.Td><Table.Td>{e.action} {e.channel}</Table.Td><Table.Td>{e.keyword ?? e.source}</Table.Td></Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {Object.keys(c.attributes).length > 0 && <><Title order={4} size="h6" mt="sm">Attributes</Title><Text size="xs" style={{ wordBreak: 'break-all' }}>{JSON.stringify(c.attributes)}</Text></>}
    </Card>
  );
}

export default function InboxPage() {
  const { projectId = '', conversationId } = useParams();
  const thread = useQuery({
    enabled: conversationId !== undefined,
    queryKey: ['p', projectId, 'conversations', conversationId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/conversations/{conversation_id}', { params: { path: { project_id: projectId, conversation_id: conversationId ?? '' }, query: { limit: 200 } } })),
  });
  return (
    <Stack>
      <Title order={2}>Inbox</Title>
      <Grid>
        <Grid.Col span={{ base: 12, md: 4 }}><ConversationList projectId={projectId} selected={conversationId} /></Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>{conversationId ? <Thread projectId={projectId} conversationId={conversationId} /> : <Text c="dimmed">Choose a conversation.</Text>}</Grid.Col>
        <Grid.Col span={{ base: 12, md: 3 }}>{thread.data && <CustomerPanel projectId={projectId} customerId={thread.data.customer_id} />}</Grid.Col>
      </Grid>
    </Stack>
  );
}
