import { Alert, Anchor, Button, Card, Drawer, Group, SegmentedControl, Select, Stack, Table, Text, Textarea, TextInput, Timeline, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError, fieldText } from '../components/Form.tsx';
import { StatusBadge } from '../components/Status.tsx';
import { TemplatePicker, templateMessage, useDefaultWhatsApp, type TemplateChoice } from '../components/TemplatePicker.tsx';
import { when } from '../format.ts';
import { Pager, usePager } from '../components/Pager.tsx';

const statuses = ['queued', 'enqueued', 'enqueued_failed', 'sent', 'delivered', 'read', 'failed', 'rejected'];

function SendTest({ projectId }: { projectId: string }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const errors = useApiError();
  const [kind, setKind] = useState<'template' | 'text'>('template');
  const [channel, setChannel] = useState<'whatsapp' | 'rcs'>('whatsapp');
  const [template, setTemplate] = useState<TemplateChoice | undefined>();
  const whatsappProvider = useDefaultWhatsApp(projectId);
  const send = useMutation({
    mutationFn: async (form: FormData) => {
      const text = fieldText(form, 'text');
      const message = kind === 'text' || channel === 'rcs' || template === undefined ? { text_message: { text } } : templateMessage(template);
      return unwrap(await api.POST('/api/v1/projects/{project_id}/messages', {
        params: { path: { project_id: projectId } }, body: { channel, to: fieldText(form, 'to'), message } as never,
      }));
    },
    onSuccess: async (sent) => {
      await client.invalidateQueries({ queryKey: ['p', projectId, 'messages'] });
      void navigate(`/p/${projectId}/messages/${sent.id}`);
    },
    onError: (failure) => errors.set(failure),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    errors.clear();
    send.mutate(new FormData(event.currentTarget));
  }
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">Send a message</Title>
      <form onSubmit={submit} noValidate aria-label="Send a message">
        <Stack>
          <Group align="flex-end">
            <SegmentedControl aria-label="Channel" value={channel} onChange={(v) => setChannel(v === 'rcs' ? 'rcs' : 'whatsapp')} data={[{ value: 'whatsapp', label: 'WhatsApp' }, { value: 'rcs', label: 'RCS' }]} />
            <TextInput name="to" label="To (phone number)" placeholder="+46732001122" required error={errors.of('to')} />
          </Group>
          {channel === 'whatsapp' && (
            <SegmentedControl aria-label="Content" value={kind} onChange={(v) => setKind(v === 'text' ? 'text' : 'template')}
              data={[{ value: 'template', label: 'Template' }, { value: 'text', label: 'Free text (24 h window)' }]} />
          )}
          {channel === 'whatsapp' && kind === 'template' ? (
            <TemplatePicker projectId={projectId} integrationId={whatsappProvider} value={template} onChange={setTemplate} error={errors.of('message.template_message.channel_template.WHATSAPP.template_id') ?? errors.of('message.template_message.channel_template.WHATSAPP.parameters')} />
          ) : <Textarea name="text" label="Text" required autosize minRows={2} error={errors.of('message.text_message.text')} />}
          {errors.general(['to', 'message.text_message.text'])}
          <Group><Button type="submit" loading={send.isPending}>Send</Button></Group>
        </Stack>
      </form>
    </Card>
  );
}

function MessageDetail({ projectId, messageId, onClose }: { projectId: string; messageId: string; onClose: () => void }) {
  const message = useQuery({
    queryKey: ['p', projectId, 'messages', messageId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/messages/{message_id}', { params: { path: { project_id: projectId, message_id: messageId } } })),
  });
  const m = message.data;
  return (
    <Drawer opened onClose={onClose} position="right" size="lg" title="Message">
      <ErrorAlert error={message.error} />
      {m && (
        <Stack>
          <Group><StatusBadge status={m.status} error={m.error} explanation={m.error_description} /><Text size="sm">{m.channel} to {m.to}</Text></Group>
          {m.error && <Alert color="red" title={m.error}>{m.error_description}</Alert>}
          {m.possible_duplicate && <Alert color="yellow">A crash may have handed this message to Sinch twice.</Alert>}
          <Text size="sm">Id {m.id}{m.provider_message_id ? ` · Sinch ${m.provider_message_id}` : ''}{m.campaign_id ? ` · campaign ${m.campaign_id}` : ''}</Text>
          <Title order={4} size="h5">Timeline</Title>
          <Timeline active={m.timeline.length} bulletSize={14} lineWidth={2} aria-label="Timeline">
            {m.timeline.map((t, i) => (
              <Timeline.Item key={i} title={`${t.kind}${t.status ? `: ${t.status}` : ''}`}>
                <Text size="xs" c="dimmed">{when(t.at)}{t.channel ? ` · ${t.channel}` : ''}</Text>
                {Object.keys(t.detail).length > 0 && <Text size="xs" style={{ wordBreak: 'break-all' }}>{JSON.stringify(t.detail)}</Text>}
              </Timeline.Item>
            ))}
          </Timeline>
        </Stack>
      )}
    </Drawer>
  );
}

export default function MessagesPage() {
  const { projectId = '', messageId } = useParams();
  const navigate = useNavigate();
  const [filters, setFilters] = useState<{ status?: string; recipient?: string }>({});
  const pager = usePager();
  const cursor = pager.cursor;
  const list = useQuery({
    queryKey: ['p', projectId, 'messages', 'list', filters, cursor],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/messages', {
      params: { path: { project_id: projectId }, query: { limit: 50, ...(cursor ? { cursor } : {}), ...(filters.status ? { status: filters.status as 'read' } : {}), ...(filters.recipient ? { recipient: filters.recipient } : {}) } },
    })),
  });
  return (
    <Stack>
      <Title order={2}>Messages</Title>
      <SendTest projectId={projectId} />
      <Group align="flex-end">
        <Select label="Status" clearable data={statuses} value={filters.status ?? null} onChange={(v) => { pager.reset(); setFilters({ ...filters, ...(v ? { status: v } : { status: undefined }) }); }} w={180} />
        <TextInput label="Recipient" placeholder="+46…" onBlur={(e) => { pager.reset(); setFilters({ ...filters, recipient: e.currentTarget.value || undefined }); }} />
        <Anchor href={`/api/v1/projects/${projectId}/events/export`} size="sm">Export events (CSV)</Anchor>
      </Group>
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover aria-label="Messages">
          <Table.Thead><Table.Tr><Table.Th>Status</Table.Th><Table.Th>To</Table.Th><Table.Th>Channel</Table.Th><Table.Th>Content</Table.Th><Table.Th>Campaign</Table.Th><Table.Th>Created</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data?.data.map((m) => (
              <Table.Tr key={m.id} onClick={() => void navigate(`/p/${projectId}/messages/${m.id}`)} style={{ cursor: 'pointer' }}>
                <Table.Td><StatusBadge status={m.status} error={m.error} explanation={m.error_description} /></Table.Td>
                <Table.Td><Link to={`/p/${projectId}/messages/${m.id}`}>{m.to}</Link></Table.Td>
                <Table.Td>{m.channel}</Table.Td><Table.Td>{m.content_kind}</Table.Td><Table.Td>{m.campaign_id ?? '—'}</Table.Td>
                <Table.Td>{when(m.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager pager={pager} next={list.data?.next_cursor} />
      {messageId !== undefined && <MessageDetail projectId={projectId} messageId={messageId} onClose={() => void navigate(`/p/${projectId}/messages`)} />}
    </Stack>
  );
}
