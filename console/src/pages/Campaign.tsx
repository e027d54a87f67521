import '@mantine/charts/styles.css';
import { AreaChart } from '@mantine/charts';
import { Alert, Anchor, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError } from '../components/Form.tsx';
import { CampaignStatus } from './Campaigns.tsx';
import { PhoneFrame } from '../components/PhoneFrame.tsx';
import { previewOf } from '../rcs-content.ts';
import { count, when } from '../format.ts';

interface Report {
  status: string; audience: number; messages: number;
  skipped: { total: number; by_reason: Record<string, number> };
  statuses: Record<string, number>; replies: number; opt_outs: number;
  rates: { delivery: number | null; read: number | null; reply: number | null };
  errors: { code: string; count: number; description: string; action?: string }[];
  channels: Record<string, Record<string, number>>;
  series: { interval: string; points: ({ at: string } & Record<string, number | string>)[] };
}

/** The report, live: the report stream (SSE) sends it whole whenever it changes. */
function useLiveReport(projectId: string, campaignId: string) {
  const [report, setReport] = useState<Report | undefined>();
  const first = useQuery({
    queryKey: ['p', projectId, 'campaigns', campaignId, 'report'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/campaigns/{campaign_id}/report', { params: { path: { project_id: projectId, campaign_id: campaignId }, query: {} } })) as unknown as Report,
  });
  useEffect(() => {
    const source = new EventSource(`/api/v1/projects/${projectId}/campaigns/${campaignId}/report/stream`);
    source.addEventListener('report', (event) => setReport(JSON.parse((event as MessageEvent<string>).data) as Report));
    return () => source.close();
  }, [projectId, campaignId]);
  return { report: report ?? first.data, error: first.error };
}

const funnel = ['sent', 'delivered', 'read'] as const;
const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(1)}%`);

export default function CampaignPage() {
  const { projectId = '', campaignId = '' } = useParams();
  const client = useQueryClient();
  const errors = useApiError();
  const path = { project_id: projectId, campaign_id: campaignId };
  const campaign = useQuery({
    queryKey: ['p', projectId, 'campaigns', campaignId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/campaigns/{campaign_id}', { params: { path } })),
  });
  const { report, error } = useLiveReport(projectId, campaignId);
  const act = useMutation({
    mutationFn: async (action: 'launch' | 'pause' | 'resume' | 'cancel') => {
      const url = `/api/v1/projects/{project_id}/campaigns/{campaign_id}/${action}` as '/api/v1/projects/{project_id}/campaigns/{campaign_id}/launch';
      return unwrap(await api.POST(url, { params: { path } }));
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'campaigns'] }),
    onError: (failure) => errors.set(failure),
  });
  const [testTo, setTestTo] = useState('');
  const test = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/campaigns/{campaign_id}/test', { params: { path }, body: { to: testTo.split(/[\s,]+/).filter(Boolean) } })),
    onError: (failure) => errors.set(failure),
  });
  const [previewPhone, setPreviewPhone] = useState('');
  const preview = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/campaigns/{campaign_id}/preview', { params: { path }, body: { phone: previewPhone } as never })),
    onError: (failure) => errors.set(failure),
  });
  const c = campaign.data;
  if (c === undefined) return <ErrorAlert error={campaign.error} />;
  const status = report?.status ?? c.status;
  return (
    <Stack>
      <Group justify="space-between">
        <Group><Title order={2}>{c.name}</Title><CampaignStatus status={status} /></Group>
        <Group gap="xs">
          {status === 'draft' && <Button onClick={() => act.mutate('launch')} loading={act.isPending}>Launch</Button>}
          {(status === 'running' || status === 'scheduled') && <Button variant="light" onClick={() => act.mutate('pause')}>Pause</Button>}
          {status === 'paused' && <Button onClick={() => act.mutate('resume')}>Resume</Button>}
          {!['completed', 'cancelled'].includes(status) && <Button color="red" variant="subtle" onClick={() => { if (window.confirm('Cancel this campaign?')) act.mutate('cancel'); }}>Cancel</Button>}
        </Group>
      </Group>
      {errors.general([])}
      <Text size="sm" c="dimmed">{c.channel === 'whatsapp' ? 'WhatsApp' : 'RCS'} · {c.id}{c.throttle_per_second ? ` · ${c.throttle_per_second}/s` : ''}{c.send_at ? ` · starts ${when(c.send_at)}` : ''}</Text>
      {status === 'draft' && (
        <Card withBorder>
          <Group align="flex-end">
            <TextInput label="Test send to (up to 10 numbers)" placeholder="+46732001122" value={testTo} onChange={(e) => setTestTo(e.currentTarget.value)} style={{ flex: 1 }} />
            <Button variant="light" onClick={() => { errors.clear(); test.mutate(); }} loading={test.isPending}>Send test</Button>
          </Group>
          {test.isSuccess && <Text size="sm" mt="xs" role="status">Test sent.</Text>}
          <Group align="flex-end" mt="sm">
            <TextInput label="Preview for a customer (phone)" value={previewPhone} onChange={(e) => setPreviewPhone(e.currentTarget.value)} style={{ flex: 1 }} />
            <Button variant="default" onClick={() => { errors.clear(); preview.mutate(); }} loading={preview.isPending}>Preview</Button>
          </Group>
          {preview.data !== undefined && preview.data.problems.length > 0 && (
            <Alert color="yellow" mt="xs" role="status">{preview.data.problems.map((p) => p.message).join(' ')}</Alert>
          )}
        </Card>
      )}
      <Card withBorder aria-label="Content">
        <Title order={3} size="h4" mb="sm">{preview.data?.content ? `Content for ${previewPhone}` : 'Content'}</Title>
        <PhoneFrame channel={c.channel} content={previewOf(preview.data?.content ?? c.content)} />
      </Card>
      <ErrorAlert error={error} />
      {report && (
        <>
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <Card withBorder><Text size="xs" c="dimmed">Audience</Text><Text fw={700} size="xl" data-metric="audience">{count(report.audience)}</Text></Card>
            <Card withBorder><Text size="xs" c="dimmed">Delivery rate</Text><Text fw={700} size="xl" data-metric="delivery">{pct(report.rates.delivery)}</Text></Card>
            <Card withBorder><Text size="xs" c="dimmed">Read rate</Text><Text fw={700} size="xl" data-metric="read">{pct(report.rates.read)}</Text></Card>
            <Card withBorder><Text size="xs" c="dimmed">Replies · opt-outs</Text><Text fw={700} size="xl" data-metric="replies">{count(report.replies)} · {count(report.opt_outs)}</Text></Card>
          </SimpleGrid>
          <Card withBorder aria-label="Funnel">
            <Title order={3} size="h4" mb="sm">Funnel</Title>
            <Stack gap="xs">
              {[
                { key: 'audience', label: 'audience', value: report.audience, base: report.audience },
                ...funnel.map((s, i) => ({ key: s, label: s, value: report.statuses[s] ?? 0, base: i === 0 ? report.messages : report.statuses[funnel[i - 1]!] ?? 0 })),
                { key: 'replied', label: 'replied', value: report.replies, base: report.statuses.delivered ?? 0 },
              ].map((step, i) => (
                <div key={step.key}>
                  <Group justify="space-between">
                    <Text size="sm">{step.label}</Text>
                    <Text size="sm"><span data-funnel={step.key}>{count(step.value)}</span>{i > 0 && step.base > 0 ? ` · ${((100 * step.value) / step.base).toFixed(1)}% of the step before` : ''}</Text>
                  </Group>
                  <Progress value={report.audience > 0 ? (100 * step.value) / report.audience : 0} aria-label={step.label} transitionDuration={0} />
                </div>
              ))}
              <Text size="sm">Failed {report.statuses.failed ?? 0} · rejected {report.statuses.rejected ?? 0} · not sent {report.statuses.enqueued_failed ?? 0} · skipped {report.skipped.total}</Text>
            </Stack>
          </Card>
          {report.series.points.length > 0 && (
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">Over time (per {report.series.interval})</Title>
              <AreaChart h={240} dataKey="at" data={report.series.points.map((p) => ({ ...p, at: new Date(p.at).toLocaleTimeString() }))}
                series={[{ name: 'sent', color: 'blue.6' }, { name: 'delivered', color: 'teal.6' }, { name: 'read', color: 'green.6' }]} />
            </Card>
          )}
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">Errors</Title>
              {report.errors.length === 0 ? <Text size="sm" c="dimmed">None.</Text> : (
                <Table fz="sm">
                  <Table.Thead><Table.Tr><Table.Th>Code</Table.Th><Table.Th>Count</Table.Th><Table.Th>What it means</Table.Th><Table.Th>What to do</Table.Th></Table.Tr></Table.Thead>
                  <Table.Tbody>{report.errors.map((e) => <Table.Tr key={e.code}><Table.Td>{e.code}</Table.Td><Table.Td>{count(e.count)}</Table.Td><Table.Td>{e.description}</Table.Td><Table.Td>{e.action ?? ''}</Table.Td></Table.Tr>)}</Table.Tbody>
                </Table>
              )}
            </Card>
            <Card withBorder>
              <Title order={3} size="h4" mb="sm">Skipped</Title>
              {report.skipped.total === 0 ? <Text size="sm" c="dimmed">Nobody.</Text> : (
                <Table fz="sm"><Table.Tbody>{Object.entries(report.skipped.by_reason).map(([r, n]) => <Table.Tr key={r}><Table.Td>{r}</Table.Td><Table.Td>{n}</Table.Td></Table.Tr>)}</Table.Tbody></Table>
              )}
            </Card>
          </SimpleGrid>
          <Group>
            <Anchor href={`/api/v1/projects/${projectId}/campaigns/${campaignId}/report/export?part=summary`}>Export report (CSV)</Anchor>
            <Anchor href={`/api/v1/projects/${projectId}/campaigns/${campaignId}/report/export?part=messages`}>Export messages (CSV)</Anchor>
          </Group>
        </>
      )}
      {c.status === 'draft' && report === undefined && <Alert>Launch to see the report fill.</Alert>}
    </Stack>
  );
}
