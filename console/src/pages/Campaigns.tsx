import { Alert, Badge, Button, Card, Grid, Group, Modal, NumberInput, Progress, SegmentedControl, Select, Stack, Table, Text, Textarea, TextInput, Title, Tooltip } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError, fieldText } from '../components/Form.tsx';
import { PhoneFrame, type PreviewContent } from '../components/PhoneFrame.tsx';
import { CardFields, CarouselFields } from '../components/RcsCardEditor.tsx';
import { cardMessage, cardProblems, carouselMessage, carouselProblems, emptyCard, samePath, type CardDraft, type ChipDraft, type Problem } from '../rcs-content.ts';
import { TemplatePicker, templateMessage, type TemplateChoice } from '../components/TemplatePicker.tsx';
import { useIntegrations } from './Integrations.tsx';
import { when } from '../format.ts';
import { Pager, usePager } from '../components/Pager.tsx';

const statusColors: Record<string, string> = { draft: 'gray', scheduled: 'blue', running: 'teal', paused: 'yellow', completed: 'green', cancelled: 'red' };

export function CampaignStatus({ status }: { status: string }) {
  return <Badge color={statusColors[status] ?? 'gray'} variant="light" data-campaign-status={status}>{status}</Badge>;
}

function useSegments(projectId: string) {
  return useQuery({
    queryKey: ['p', projectId, 'segments'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/segments', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data,
  });
}

function nameOf(m: { phone: string; attributes: Record<string, unknown> }): string {
  const first = m.attributes.first_name;
  return typeof first === 'string' && first !== '' ? `${first} (${m.phone})` : m.phone;
}

/** Whether the builder shows an input for this content field of a rich card or carousel (else the form's alert shows the error). */
function shownContentField(field: string, cards: readonly CardDraft[], kind: 'text' | 'card' | 'carousel'): boolean {
  const cardPaths = kind === 'card' ? ['content.card_message'] : cards.map((_, i) => `content.carousel_message.cards[${i}]`);
  const chipPaths = (base: string, chips: number) => [base, ...Array.from({ length: chips }, (_, j) => [`${base}[${j}]`, `${base}[${j}].text_message.text`, `${base}[${j}].url_message.title`, `${base}[${j}].url_message.url`]).flat()];
  const shown = cardPaths.flatMap((p, i) => [p, `${p}.title`, `${p}.description`, `${p}.media_message`, `${p}.media_message.url`, ...chipPaths(`${p}.choices`, cards[i]?.chips.length ?? 0)]);
  if (kind === 'carousel') shown.push('content.carousel_message.cards', ...chipPaths('content.carousel_message.choices', 3));
  return shown.includes(field);
}

/** A filter every customer matches (opted out on some channel, or on none), to count "all customers". */
const everyone = { any: [{ opted_out: true }, { opted_out: false }] };

/** The builder: audience with its live count, channel with its preselected provider, content with a live preview. */
function Builder({ projectId, onDone }: { projectId: string; onDone: (id: string) => void }) {
  const client = useQueryClient();
  const errors = useApiError();
  const integrations = useIntegrations(projectId);
  const segments = useSegments(projectId);
  const channels = useQuery({
    queryKey: ['p', projectId, 'settings', 'channels'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/settings/channels', { params: { path: { project_id: projectId } } })),
  });
  const [channel, setChannel] = useState<'whatsapp' | 'rcs'>('whatsapp');
  const [integration, setIntegration] = useState<string | null>(null);
  const [audience, setAudience] = useState<string>('all');
  const [text, setText] = useState('Hello {{ first_name | default: "there" }}, our spring sale starts today.');
  const [throttle, setThrottle] = useState<number | string>('');
  const [kind, setKind] = useState<'text' | 'template'>('text');
  const [template, setTemplate] = useState<TemplateChoice | undefined>();
  // RCS content: a text (as on WhatsApp), one rich card, or a carousel of cards.
  const [rcsKind, setRcsKind] = useState<'text' | 'card' | 'carousel'>('text');
  const [card, setCard] = useState<CardDraft>(emptyCard);
  const [cards, setCards] = useState<CardDraft[]>(() => [emptyCard(), emptyCard()]);
  const [carouselChips, setCarouselChips] = useState<ChipDraft[]>([]);
  const [previewFor, setPreviewFor] = useState<string | null>(null);
  const [sendAt, setSendAt] = useState('');
  const [timeZone, setTimeZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [quiet, setQuiet] = useState({ start: '', end: '' });
  const preselected = channel === 'whatsapp' ? channels.data?.whatsapp_integration_id : channels.data?.rcs_integration_id;
  const chosen = integration ?? preselected ?? null;
  const count = useQuery({
    queryKey: ['p', projectId, 'audience-count', audience],
    queryFn: async () => audience === 'all'
      ? unwrap(await api.POST('/api/v1/projects/{project_id}/segments/preview', { params: { path: { project_id: projectId } }, body: { filter: everyone } as never }))
      : unwrap(await api.GET('/api/v1/projects/{project_id}/segments/{segment_id}/preview', { params: { path: { project_id: projectId, segment_id: audience } } })),
  });
  const rich = channel === 'rcs' && rcsKind !== 'text';
  const problems: Problem[] = !rich ? [] : rcsKind === 'card' ? cardProblems(card, 'content.card_message', 'The card') : carouselProblems(cards, carouselChips, 'content.carousel_message');
  const content = channel === 'whatsapp' && kind === 'template' && template !== undefined ? templateMessage(template)
    : channel === 'rcs' && rcsKind === 'card' ? { card_message: cardMessage(card) }
      : channel === 'rcs' && rcsKind === 'carousel' ? { carousel_message: carouselMessage(cards, carouselChips) }
        : { text_message: { text } };
  const members = count.data?.members ?? [];
  const sample = members.find((m) => m.id === previewFor) ?? members[0];
  const preview: PreviewContent = !rich ? { kind: 'text', text } : rcsKind === 'card' ? { kind: 'card', card } : { kind: 'carousel', cards, chips: carouselChips };
  /** The server's message for a field of the content, however it spells array indexes (`cards.1` or `cards[1]`). */
  const errorAt = (field: string) => (errors.error?.field !== undefined && samePath(errors.error.field) === field ? errors.error.message : undefined);
  const create = useMutation({
    mutationFn: async (form: FormData) => unwrap(await api.POST('/api/v1/projects/{project_id}/campaigns', {
      params: { path: { project_id: projectId } },
      body: {
        name: fieldText(form, 'name'), channel, ...(chosen ? { integration_id: chosen } : {}),
        content,
        audience: audience === 'all' ? { all: true } : { segment_id: audience },
        ...(throttle !== '' ? { throttle_per_second: Number(throttle) } : {}),
        time_zone: timeZone, ...(sendAt !== '' ? { send_at: sendAt } : {}),
        ...(quiet.start !== '' && quiet.end !== '' ? { quiet_hours: quiet } : {}),
      } as never,
    })) as { id: string },
    onSuccess: async (c) => { await client.invalidateQueries({ queryKey: ['p', projectId, 'campaigns'] }); onDone(c.id); },
    onError: (failure) => errors.set(failure),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    errors.clear();
    if (problems.length > 0) return;
    create.mutate(new FormData(event.currentTarget));
  }
  const options = (integrations.data ?? []).filter((i) => i.senders[channel] != null).map((i) => ({ value: i.id, label: `${i.name}${i.id === preselected ? ' (default)' : ''}` }));
  return (
    <form onSubmit={submit} noValidate aria-label="New campaign">
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack>
            <TextInput name="name" label="Name" required error={errors.of('name')} data-autofocus />
            <SegmentedControl aria-label="Channel" value={channel} onChange={(v) => { setChannel(v === 'rcs' ? 'rcs' : 'whatsapp'); setIntegration(null); }} data={[{ value: 'whatsapp', label: 'WhatsApp' }, { value: 'rcs', label: 'RCS' }]} />
            <Select label="Provider" description="The channel's default provider is preselected" data={options} value={chosen} onChange={setIntegration} error={errors.of('integration_id')} allowDeselect={false} />
            <Select label="Audience" value={audience} onChange={(v) => setAudience(v ?? 'all')} allowDeselect={false}
              data={[{ value: 'all', label: 'All customers' }, ...(segments.data ?? []).map((s) => ({ value: s.id, label: `Segment: ${s.name}` }))]}
              description={count.data ? `${count.data.count} customers` : count.isError ? '' : 'Counting…'} error={errors.of('audience') ?? (count.error ? `Could not count: ${count.error.message}` : undefined)} />
            {channel === 'whatsapp' && (
              <SegmentedControl aria-label="Content" value={kind} onChange={(v) => setKind(v === 'template' ? 'template' : 'text')}
                data={[{ value: 'text', label: 'Free text' }, { value: 'template', label: 'Approved template' }]} />
            )}
            {channel === 'whatsapp' && kind === 'template' && (
              <TemplatePicker projectId={projectId} integrationId={chosen} value={template} onChange={setTemplate} hint="Liquid allowed: {{ first_name | default: &quot;there&quot; }}"
                error={errors.of('content.template_message.channel_template.WHATSAPP.template_id') ?? errors.of('content.template_message.channel_template.WHATSAPP.parameters')} />
            )}
            {channel === 'rcs' && (
              <SegmentedControl aria-label="RCS content" value={rcsKind} onChange={(v) => setRcsKind(v === 'card' ? 'card' : v === 'carousel' ? 'carousel' : 'text')}
                data={[{ value: 'text', label: 'Text' }, { value: 'card', label: 'Rich card' }, { value: 'carousel', label: 'Carousel' }]} />
            )}
            {rich && rcsKind === 'card' && <CardFields card={card} onChange={setCard} path="content.card_message" errorAt={errorAt} />}
            {rich && rcsKind === 'carousel' && <CarouselFields cards={cards} chips={carouselChips} onCards={setCards} onChips={setCarouselChips} path="content.carousel_message" errorAt={errorAt} />}
            {!(channel === 'whatsapp' && kind === 'template') && !rich && <Textarea label="Message" description={`Liquid: {{ attribute }} (e.g. {{ first_name }}), with | default: for missing ones · ${text.length} of ${channel === 'whatsapp' ? 4096 : 3072} characters (checked again on each rendered message)`} autosize minRows={3} value={text} onChange={(e) => setText(e.currentTarget.value)} error={errors.of('content') ?? errors.of('content.text_message.text')} />}
            {channel === 'whatsapp' && kind === 'text' && <Alert color="yellow" p="xs">Free-form WhatsApp text reaches only customers who wrote in the last 24 hours; the others are skipped with the reason. Use an approved template to reach everyone.</Alert>}
            <Group grow align="flex-start">
              <TextInput type="datetime-local" label="Start at" description="Empty: when launched" value={sendAt} onChange={(e) => setSendAt(e.currentTarget.value)} error={errors.of('send_at')} />
              <Select label="Time zone" searchable data={Intl.supportedValuesOf('timeZone')} value={timeZone} onChange={(v) => setTimeZone(v ?? 'UTC')} allowDeselect={false} error={errors.of('time_zone')} />
            </Group>
            <Group grow align="flex-start">
              <TextInput type="time" label="Quiet hours from" description="In each recipient's time zone" value={quiet.start} onChange={(e) => setQuiet({ ...quiet, start: e.currentTarget.value })} error={errors.of('quiet_hours.start')} />
              <TextInput type="time" label="Quiet hours until" description=" " value={quiet.end} onChange={(e) => setQuiet({ ...quiet, end: e.currentTarget.value })} error={errors.of('quiet_hours.end')} />
            </Group>
            <NumberInput label="Throttle (messages/s)" description="Empty: as fast as the integration allows" min={1} value={throttle} onChange={setThrottle} error={errors.of('throttle_per_second')} />
            {errors.general(rich
              ? ['name', 'integration_id', 'audience', 'throttle_per_second', 'send_at', 'time_zone', 'quiet_hours.start', 'quiet_hours.end',
                ...(errors.error?.field !== undefined && shownContentField(samePath(errors.error.field), rcsKind === 'card' ? [card] : cards, rcsKind) ? [errors.error.field] : [])]
              : ['name', 'integration_id', 'audience', 'content', 'content.text_message.text', 'throttle_per_second', 'send_at', 'time_zone', 'quiet_hours.start', 'quiet_hours.end', 'content.template_message.channel_template.WHATSAPP.template_id'])}
            <Group>
              <Button type="submit" loading={create.isPending} disabled={problems.length > 0}>Save draft</Button>
              {problems[0] !== undefined && <Text size="sm" c="red" data-testid="save-blocked">Cannot save: {problems[0].message}{problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}</Text>}
            </Group>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="xs" style={{ position: 'sticky', top: 64 }}>
            <PhoneFrame channel={channel} content={preview} sample={sample} />
            {members.length > 0 && (
              <Select label="Preview for" size="xs" w={280} mx="auto" allowDeselect={false} value={sample?.id ?? null} onChange={setPreviewFor}
                data={members.map((m) => ({ value: m.id, label: nameOf(m) }))} />
            )}
          </Stack>
        </Grid.Col>
      </Grid>
    </form>
  );
}

export default function CampaignsPage() {
  const { projectId = '' } = useParams();
  const navigate = useNavigate();
  const [building, setBuilding] = useState(false);
  const pager = usePager();
  const cursor = pager.cursor;
  const page = useQuery({
    queryKey: ['p', projectId, 'campaigns', 'list', cursor],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/campaigns', { params: { path: { project_id: projectId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } } })),
    refetchInterval: 5_000,
  });
  const list = { data: page.data?.data, error: page.error };
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Campaigns</Title>
        <Button onClick={() => setBuilding(true)}>New campaign</Button>
      </Group>
      <ErrorAlert error={list.error} />
      {list.data?.length === 0 && <Text c="dimmed">No campaign yet.</Text>}
      <Table.ScrollContainer minWidth={600}>
        <Table striped highlightOnHover aria-label="Campaigns">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Status</Table.Th><Table.Th>Channel</Table.Th><Table.Th>Progress</Table.Th><Table.Th>Created</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data?.map((c) => {
              const audience = c.progress.audience;
              const done = c.progress.skipped + c.progress.handed_over;
              return (
                <Table.Tr key={c.id}>
                  <Table.Td><Link to={`/p/${projectId}/campaigns/${c.id}`}>{c.name}</Link></Table.Td>
                  <Table.Td><CampaignStatus status={c.status} /></Table.Td>
                  <Table.Td>{c.channel}</Table.Td>
                  <Table.Td w={200}>{audience > 0 ? <Tooltip label={`${done} of ${audience}`}><Progress value={(100 * done) / audience} aria-label="Progress" /></Tooltip> : '—'}</Table.Td>
                  <Table.Td>{when(c.created_at)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager pager={pager} next={page.data?.next_cursor} />
      <Modal opened={building} onClose={() => setBuilding(false)} title="New campaign" size="xl">
        <Builder projectId={projectId} onDone={(id) => { setBuilding(false); void navigate(`/p/${projectId}/campaigns/${id}`); }} />
      </Modal>
      <Card withBorder><Text size="sm">Audiences come from <Link to={`/p/${projectId}/customers`}>customers and segments</Link>.</Text></Card>
    </Stack>
  );
}
