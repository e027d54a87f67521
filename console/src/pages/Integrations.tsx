import { Alert, Badge, Button, Card, CopyButton, Group, List, Modal, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput, ThemeIcon, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError, fieldText } from '../components/Form.tsx';
import { useRole } from '../session.tsx';
import { count, when } from '../format.ts';

type Integration = NonNullable<Awaited<ReturnType<typeof listIntegrations>>>[number];
async function listIntegrations(projectId: string) {
  return unwrap(await api.GET('/api/v1/projects/{project_id}/integrations', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data;
}
export function useIntegrations(projectId: string) {
  return useQuery({ queryKey: ['p', projectId, 'integrations'], queryFn: () => listIntegrations(projectId) });
}

const fields = ['name', 'sinch_project_id', 'app_id', 'access_key', 'access_secret', 'region', 'webhook_secret', 'senders.whatsapp', 'senders.rcs', 'send_rate_per_second'];

function IntegrationForm({ projectId, existing, onDone }: { projectId: string; existing?: Integration; onDone: () => void }) {
  const client = useQueryClient();
  const errors = useApiError();
  const [region, setRegion] = useState<string>(existing?.region ?? 'SANDBOX');
  const save = useMutation({
    mutationFn: async (form: FormData) => {
      const text = (name: string) => fieldText(form, name).trim();
      const secret = (name: string) => (text(name) === '' ? {} : { [name]: text(name) });
      const senders = { ...(text('whatsapp') !== '' ? { whatsapp: text('whatsapp') } : {}), ...(text('rcs') !== '' ? { rcs: text('rcs') } : {}) };
      const rate = text('send_rate_per_second');
      const common = {
        name: text('name'), sinch_project_id: text('sinch_project_id'), app_id: text('app_id'), access_key: text('access_key'),
        region: region as 'EU' | 'US' | 'BR' | 'SANDBOX', senders, ...secret('webhook_secret'), ...(rate !== '' ? { send_rate_per_second: Number(rate) } : {}),
      };
      if (existing === undefined) {
        return unwrap(await api.POST('/api/v1/projects/{project_id}/integrations', {
          params: { path: { project_id: projectId } },
          body: { provider: 'sinch_mobile_messaging', ...common, access_secret: text('access_secret') },
        }));
      }
      return unwrap(await api.PATCH('/api/v1/projects/{project_id}/integrations/{integration_id}', {
        params: { path: { project_id: projectId, integration_id: existing.id } }, body: { ...common, ...secret('access_secret') },
      }));
    },
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['p', projectId] });
      notifications.show({ color: 'teal', message: `Saved ${saved.name}` });
      onDone();
    },
    onError: (failure) => errors.set(failure),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    errors.clear();
    save.mutate(new FormData(event.currentTarget));
  }

  return (
    <form onSubmit={submit} noValidate aria-label={existing ? 'Edit integration' : 'Add integration'}>
      <Stack>
        <TextInput name="name" label="Name" defaultValue={existing?.name ?? 'Sinch Mobile Messaging'} required error={errors.of('name')} />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput name="sinch_project_id" label="Project ID" defaultValue={existing?.sinch_project_id ?? (region === 'SANDBOX' ? 'sandbox-project' : '')} required error={errors.of('sinch_project_id')} />
          <TextInput name="app_id" label="App ID" defaultValue={existing?.app_id ?? (region === 'SANDBOX' ? 'sandbox-app' : '')} required error={errors.of('app_id')} />
          <TextInput name="access_key" label="Access Key" defaultValue={existing?.access_key ?? (region === 'SANDBOX' ? 'sandbox-key' : '')} required error={errors.of('access_key')} />
          <PasswordInput name="access_secret" label="Access Secret" autoComplete="off" required={existing === undefined}
            description={existing ? 'Set. Type a new one to replace it; it is never shown.' : 'Write-only: never shown again after saving'}
            defaultValue={existing === undefined && region === 'SANDBOX' ? 'sandbox-secret' : ''} error={errors.of('access_secret')} />
        </SimpleGrid>
        <Select label="Endpoint region" value={region} onChange={(v) => setRegion(v ?? 'EU')} allowDeselect={false} error={errors.of('region')}
          data={[{ value: 'EU', label: 'EU (Europe)' }, { value: 'US', label: 'US (United States)' }, { value: 'BR', label: 'BR (Brazil)' }, { value: 'SANDBOX', label: 'Sandbox (built-in emulator, offline)' }]} />
        {region === 'SANDBOX' && <Alert color="blue">The sandbox accepts any credentials and wires the callback for you.</Alert>}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput name="whatsapp" label="WhatsApp sender (phone number)" defaultValue={existing?.senders.whatsapp ?? (region === 'SANDBOX' ? '+46732000000' : '')} error={errors.of('senders.whatsapp') ?? errors.of('senders')} />
          <TextInput name="rcs" label="RCS agent" defaultValue={existing?.senders.rcs ?? (region === 'SANDBOX' ? 'sandbox-agent' : '')} error={errors.of('senders.rcs')} />
          <PasswordInput name="webhook_secret" label="Webhook secret" description={existing ? 'Set. Type a new one to replace it.' : 'Generated when empty'} autoComplete="off" error={errors.of('webhook_secret')} />
          <NumberInput name="send_rate_per_second" label="Send rate (messages/s)" min={1} defaultValue={existing?.send_rate_per_second} error={errors.of('send_rate_per_second')} />
        </SimpleGrid>
        {errors.general(fields)}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>Cancel</Button>
          <Button type="submit" loading={save.isPending}>Save</Button>
        </Group>
      </Stack>
    </form>
  );
}

type ConsentSync = { synced_at: string; ok: boolean; error: { code: string; message: string } | null; imported: number };
type ConsentLists = ({ readable: true; lists: Record<string, { identities: string[]; more: boolean }> } | { readable: false; status: number | null; detail: string }) & { sync: ConsentSync | null };
type VerifyResult = { ok: boolean; error?: { code: string; message: string }; webhook?: { registered: boolean; triggers: string[]; hint?: string }; consents?: ConsentLists };

const listNames: Record<string, string> = { OPT_OUT_ALL: 'all', OPT_OUT_MARKETING: 'marketing', OPT_OUT_NOTIFICATION: 'notification' };

/** Sinch's opt-out lists (first page), the last import of them into the consent ledger, and a button to import now. */
function OptOutLists({ consents, path, isAdmin }: { consents: ConsentLists; path: { project_id: string; integration_id: string }; isAdmin: boolean }) {
  const [last, setLast] = useState(consents.sync);
  const importNow = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/integrations/{integration_id}/consents/sync', { params: { path } })),
    onSuccess: (result) => setLast(result),
  });
  const lists = consents.readable
    ? Object.entries(consents.lists).map(([list, l]) => `${listNames[list] ?? list} ${l.identities.length}${l.more ? '+' : ''}`).join(' · ')
    : `not readable (${consents.status === null ? 'no answer' : `HTTP ${consents.status}`}: ${consents.detail})`;
  let imported = 'never imported yet';
  if (last !== null) imported = last.ok ? `${when(last.synced_at)}, ${count(last.imported)} customers revoked` : `${when(last.synced_at)} failed: ${last.error?.message ?? ''}`;
  return (
    <Stack gap={2} mt="xs" aria-label="Sinch opt-out lists">
      <Text size="sm">Sinch opt-out lists: {lists}</Text>
      <Group gap="xs">
        <Text size="xs" c={last !== null && !last.ok ? 'red' : 'dimmed'}>Last import into the consent ledger: {imported}</Text>
        <Tooltip label="Only admins can import opt-outs" disabled={isAdmin}>
          <Button size="compact-xs" variant="light" disabled={!isAdmin} loading={importNow.isPending} onClick={() => importNow.mutate()}>Import opt-outs now</Button>
        </Tooltip>
      </Group>
      {importNow.error && <Text size="xs" c="red" role="alert">{importNow.error.message}</Text>}
    </Stack>
  );
}

/** Verify's answer as a checklist, with the fix beside each failed line. */
function VerifyChecklist({ result }: { result: VerifyResult }) {
  const line = (ok: boolean | undefined, label: string, fix?: string) => (
    <List.Item icon={<ThemeIcon size={18} radius="xl" color={ok === true ? 'teal' : ok === false ? 'red' : 'gray'} aria-label={ok === true ? 'ok' : ok === false ? 'failed' : 'not checked'}>{ok === true ? '✓' : ok === false ? '✕' : '–'}</ThemeIcon>}>
      {label}{ok === false && fix ? <Text size="xs" c="red">{fix}</Text> : null}
    </List.Item>
  );
  const hook = result.webhook;
  return (
    <List spacing={4} size="sm" mt="sm" role="status" aria-label="Verification">
      {line(result.ok || hook !== undefined, 'Access key accepted (OAuth token obtained)', result.error?.message)}
      {line(result.ok ? true : result.error ? false : undefined, 'App found in the region', result.error?.message)}
      {line(hook?.registered, 'Webhook registered at this callback URL', hook?.hint ?? 'Press Register webhook')}
      {line(hook === undefined ? undefined : hook.registered && hook.triggers.length > 0, `Triggers: ${hook?.triggers.join(', ') || 'none'}`, hook?.hint)}
    </List>
  );
}

interface RecentCallback { integration_id: string; trigger: string; outcome: string | null; received_at: string }

/** Health of recent callbacks: when Sinch last called, and what became of the last ones. */
function CallbackHealth({ callbacks }: { callbacks: RecentCallback[] }) {
  if (callbacks.length === 0) return <Text size="sm" c="dimmed">No callback from Sinch yet.</Text>;
  const outcomes = new Map<string, number>();
  for (const c of callbacks) outcomes.set(c.outcome ?? 'processing', (outcomes.get(c.outcome ?? 'processing') ?? 0) + 1);
  return (
    <Text size="sm" aria-label="Recent callbacks">
      Last callback {when(callbacks[0]!.received_at)} ({callbacks[0]!.trigger}); of the last {callbacks.length}:{' '}
      {[...outcomes].map(([o, n]) => `${n} ${o}`).join(', ')}
    </Text>
  );
}

function IntegrationCard({ projectId, integration, isAdmin, callbacks }: { projectId: string; integration: Integration; isAdmin: boolean; callbacks: RecentCallback[] }) {
  const client = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const path = { project_id: projectId, integration_id: integration.id };
  const verify = useMutation({ mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/integrations/{integration_id}/verify', { params: { path } })) });
  const register = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/integrations/{integration_id}/register-webhook', { params: { path, query: {} } })),
    onSuccess: () => notifications.show({ color: 'teal', message: 'Webhook registered with Sinch' }),
    onError: (failure) => setProblem(failure.message),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/api/v1/projects/{project_id}/integrations/{integration_id}', { params: { path } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId] }),
    onError: (failure) => setProblem(failure.message),
  });
  const adminOnly = 'Only admins can change integrations';

  return (
    <Card withBorder aria-label={`Integration ${integration.name}`}>
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h4">{integration.name}</Title>
        <Group gap={4}>
          <Badge variant="light">{integration.region}</Badge>
          {integration.default_for.map((c) => <Badge key={c} color="teal">default {c === 'whatsapp' ? 'WhatsApp' : 'RCS'}</Badge>)}
        </Group>
      </Group>
      <Text size="sm">Project ID {integration.sinch_project_id} · App ID {integration.app_id} · Access Key {integration.access_key}</Text>
      <Text size="sm">Senders: WhatsApp {integration.senders.whatsapp ?? '—'} · RCS {integration.senders.rcs ?? '—'} · {integration.send_rate_per_second} messages/s</Text>
      <Group mt="sm" gap="xs" wrap="nowrap">
        <TextInput readOnly value={integration.callback_url} label="Callback URL" aria-label="Callback URL" style={{ flex: 1 }} />
        <CopyButton value={integration.callback_url}>
          {({ copied, copy }) => <Button mt={24} variant={copied ? 'filled' : 'light'} onClick={copy}>{copied ? 'Copied' : 'Copy the callback URL'}</Button>}
        </CopyButton>
      </Group>
      <CallbackHealth callbacks={callbacks} />
      <Text size="sm" c="dimmed" mt={4}>Set this up in your Sinch account, or press Register webhook.</Text>
      {verify.data !== undefined && <VerifyChecklist result={verify.data} />}
      {verify.data?.consents !== undefined && <OptOutLists key={verify.submittedAt} consents={verify.data.consents} path={path} isAdmin={isAdmin} />}
      {problem !== undefined && <Alert mt="sm" color="red" role="alert" withCloseButton onClose={() => setProblem(undefined)}>{problem}</Alert>}
      <Group mt="md" gap="xs">
        <Tooltip label={adminOnly} disabled={isAdmin}><Button size="xs" variant="light" disabled={!isAdmin} loading={verify.isPending} onClick={() => verify.mutate()}>Verify</Button></Tooltip>
        <Tooltip label={adminOnly} disabled={isAdmin}><Button size="xs" variant="light" disabled={!isAdmin} loading={register.isPending} onClick={() => register.mutate()}>Register webhook</Button></Tooltip>
        <Tooltip label={adminOnly} disabled={isAdmin}><Button size="xs" variant="default" disabled={!isAdmin} onClick={() => setEditing(true)}>Edit</Button></Tooltip>
        <Tooltip label={!isAdmin ? adminOnly : 'A default provider cannot be deleted: choose another default in Project settings > Channels first'} disabled={isAdmin && integration.default_for.length === 0}>
          <Button size="xs" color="red" variant="subtle" disabled={!isAdmin || integration.default_for.length > 0} loading={remove.isPending}
            onClick={() => { if (window.confirm(`Delete ${integration.name}?`)) remove.mutate(); }}>Delete</Button>
        </Tooltip>
      </Group>
      <Modal opened={editing} onClose={() => setEditing(false)} title={`Edit ${integration.name}`} size="lg">
        <IntegrationForm projectId={projectId} existing={integration} onDone={() => setEditing(false)} />
      </Modal>
    </Card>
  );
}

export default function IntegrationsPage() {
  const { projectId = '' } = useParams();
  const role = useRole(projectId);
  const isAdmin = role === 'admin';
  const integrations = useIntegrations(projectId);
  const [adding, setAdding] = useState(false);
  const client = useQueryClient();
  const trySandbox = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/integrations', {
      params: { path: { project_id: projectId } },
      body: {
        provider: 'sinch_mobile_messaging', name: 'Sandbox', sinch_project_id: 'sandbox-project', app_id: `sandbox-${projectId.slice(-8)}`,
        access_key: 'sandbox-key', access_secret: 'sandbox-secret', region: 'SANDBOX', senders: { whatsapp: '+46732000000', rcs: 'sandbox-agent' },
      },
    })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId] }),
  });
  const callbacks = useQuery({
    queryKey: ['p', projectId, 'callbacks', 'recent'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/callbacks', { params: { path: { project_id: projectId }, query: { limit: 200 } } })).data as RecentCallback[],
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Integrations</Title>
        <Tooltip label="Only admins can add integrations" disabled={isAdmin}>
          <Button disabled={!isAdmin} onClick={() => setAdding(true)}>Add new integration</Button>
        </Tooltip>
      </Group>
      <ErrorAlert error={integrations.error} />
      {integrations.data?.length === 0 && (
        <Card withBorder>
          <Text>No integration yet. Connect Sinch, or try the sandbox in one click.</Text>
          <Group mt="sm">
            <Tooltip label="Only admins can add integrations" disabled={isAdmin}><Button disabled={!isAdmin} onClick={() => setAdding(true)}>Connect Sinch</Button></Tooltip>
            <Tooltip label="Only admins can add integrations" disabled={isAdmin}><Button variant="light" disabled={!isAdmin} loading={trySandbox.isPending} onClick={() => trySandbox.mutate()}>Try the sandbox</Button></Tooltip>
          </Group>
          {trySandbox.error && <Alert color="red" mt="sm" role="alert">{trySandbox.error.message}</Alert>}
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {integrations.data?.map((i) => <IntegrationCard key={i.id} projectId={projectId} integration={i} isAdmin={isAdmin} callbacks={(callbacks.data ?? []).filter((c) => c.integration_id === i.id).slice(0, 50)} />)}
      </SimpleGrid>
      <Modal opened={adding} onClose={() => setAdding(false)} title="Add Sinch Mobile Messaging" size="lg">
        <IntegrationForm projectId={projectId} onDone={() => setAdding(false)} />
      </Modal>
    </Stack>
  );
}
