import { Alert, Badge, Button, Card, Code, CopyButton, Group, NumberInput, Select, Stack, Switch, Table, Tabs, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError, fieldText } from '../components/Form.tsx';
import { useRole } from '../session.tsx';
import { useIntegrations } from './Integrations.tsx';
import { when } from '../format.ts';

const onlyAdmins = (what: string) => `Only admins can ${what}`;

function Channels({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const client = useQueryClient();
  const errors = useApiError();
  const integrations = useIntegrations(projectId);
  const current = useQuery({
    queryKey: ['p', projectId, 'settings', 'channels'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/settings/channels', { params: { path: { project_id: projectId } } })),
  });
  const [choice, setChoice] = useState<{ whatsapp?: string | null; rcs?: string | null }>({});
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PUT('/api/v1/projects/{project_id}/settings/channels', {
      params: { path: { project_id: projectId } },
      body: {
        whatsapp_integration_id: choice.whatsapp !== undefined ? choice.whatsapp : current.data?.whatsapp_integration_id ?? null,
        rcs_integration_id: choice.rcs !== undefined ? choice.rcs : current.data?.rcs_integration_id ?? null,
      },
    })),
    onSuccess: async () => {
      setChoice({});
      await client.invalidateQueries({ queryKey: ['p', projectId] });
      notifications.show({ color: 'teal', message: 'Default providers saved' });
    },
    onError: (failure) => errors.set(failure),
  });
  const options = (channel: 'whatsapp' | 'rcs') => (integrations.data ?? [])
    .filter((i) => i.senders[channel] !== undefined && i.senders[channel] !== null)
    .map((i) => ({ value: i.id, label: `${i.name} (${i.senders[channel] ?? ''})` }));
  const reason = onlyAdmins('set default providers');
  return (
    <Card withBorder>
      <Title order={3} size="h4">Channels</Title>
      <Text size="sm" c="dimmed" mb="sm">The default provider is preselected in every new WhatsApp or RCS message and campaign.</Text>
      <Text size="sm" fw={600}>Mobile messaging › WhatsApp messaging integration · SMS / MMS / RCS › RCS provider integration</Text>
      {!isAdmin && <Alert color="gray" mb="sm">{reason}.</Alert>}
      <ErrorAlert error={current.error} />
      <Stack maw={480}>
        <Select label="Default WhatsApp provider" clearable disabled={!isAdmin} data={options('whatsapp')} error={errors.of('whatsapp_integration_id')}
          value={choice.whatsapp !== undefined ? choice.whatsapp : current.data?.whatsapp_integration_id ?? null} onChange={(v) => setChoice((c) => ({ ...c, whatsapp: v }))} />
        <Select label="Default RCS provider" clearable disabled={!isAdmin} data={options('rcs')} error={errors.of('rcs_integration_id')}
          value={choice.rcs !== undefined ? choice.rcs : current.data?.rcs_integration_id ?? null} onChange={(v) => setChoice((c) => ({ ...c, rcs: v }))} />
        {errors.general(['whatsapp_integration_id', 'rcs_integration_id'])}
        <Group>
          <Tooltip label={reason} disabled={isAdmin}>
            <Button disabled={!isAdmin} loading={save.isPending} onClick={() => { errors.clear(); save.mutate(); }}>Save channels</Button>
          </Tooltip>
        </Group>
      </Stack>
    </Card>
  );
}

function EventMapping({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const errors = useApiError();
  const client = useQueryClient();
  const current = useQuery({
    queryKey: ['p', projectId, 'settings', 'event-mapping'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/settings/event-mapping', { params: { path: { project_id: projectId } } })),
  });
  const save = useMutation({
    mutationFn: async (body: { whatsapp: string; rcs: string }) => unwrap(await api.PUT('/api/v1/projects/{project_id}/settings/event-mapping', { params: { path: { project_id: projectId } }, body })),
    onSuccess: async () => { await client.invalidateQueries({ queryKey: ['p', projectId, 'settings'] }); notifications.show({ color: 'teal', message: 'Event mapping saved' }); },
    onError: (failure) => errors.set(failure),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    errors.clear();
    const form = new FormData(event.currentTarget);
    save.mutate({ whatsapp: fieldText(form, 'whatsapp'), rcs: fieldText(form, 'rcs') });
  }
  if (current.data === undefined) return <ErrorAlert error={current.error} />;
  return (
    <Card withBorder>
      <Title order={3} size="h4">Campaign event mapping</Title>
      <Text size="sm" c="dimmed" mb="sm">The event name tracked for each channel (default <Code>campaign</Code>).</Text>
      <form onSubmit={submit} noValidate>
        <Group align="flex-end">
          <TextInput name="whatsapp" label="WhatsApp events" defaultValue={current.data.whatsapp} disabled={!isAdmin} error={errors.of('whatsapp')} />
          <TextInput name="rcs" label="RCS events" defaultValue={current.data.rcs} disabled={!isAdmin} error={errors.of('rcs')} />
          <Tooltip label={onlyAdmins('change the mapping')} disabled={isAdmin}><Button type="submit" disabled={!isAdmin} loading={save.isPending}>Save mapping</Button></Tooltip>
        </Group>
        {errors.general(['whatsapp', 'rcs'])}
      </form>
    </Card>
  );
}

function FrequencyCap({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const errors = useApiError();
  const client = useQueryClient();
  const current = useQuery({
    queryKey: ['p', projectId, 'settings', 'frequency-cap'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/settings/frequency-cap', { params: { path: { project_id: projectId } } })),
  });
  const [max, setMax] = useState<number | string>('');
  const [period, setPeriod] = useState<'day' | 'week'>('day');
  const save = useMutation({
    mutationFn: async (cap: { max: number; period: 'day' | 'week' } | null) => unwrap(await api.PUT('/api/v1/projects/{project_id}/settings/frequency-cap', { params: { path: { project_id: projectId } }, body: { frequency_cap: cap } })),
    onSuccess: async () => { await client.invalidateQueries({ queryKey: ['p', projectId, 'settings'] }); notifications.show({ color: 'teal', message: 'Frequency cap saved' }); },
    onError: (failure) => errors.set(failure),
  });
  const cap = current.data?.frequency_cap;
  return (
    <Card withBorder>
      <Title order={3} size="h4">Frequency cap</Title>
      <Text size="sm" mb="sm">{cap ? `At most ${cap.max} campaign messages per customer per ${cap.period}.` : 'No cap: campaigns may message a customer any number of times.'}</Text>
      <Group align="flex-end">
        <NumberInput label="Messages at most" min={1} max={1000} value={max} onChange={setMax} disabled={!isAdmin} error={errors.of('frequency_cap.max')} w={160} />
        <Select label="Per" data={['day', 'week']} value={period} onChange={(v) => setPeriod(v === 'week' ? 'week' : 'day')} allowDeselect={false} disabled={!isAdmin} w={120} />
        <Tooltip label={onlyAdmins('change the cap')} disabled={isAdmin}>
          <Button disabled={!isAdmin || max === ''} onClick={() => { errors.clear(); save.mutate({ max: Number(max), period }); }}>Set cap</Button>
        </Tooltip>
        <Button variant="default" disabled={!isAdmin || !cap} onClick={() => save.mutate(null)}>Remove cap</Button>
      </Group>
      {errors.general(['frequency_cap.max'])}
    </Card>
  );
}

function Keywords({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const client = useQueryClient();
  const rules = useQuery({
    queryKey: ['p', projectId, 'keyword-rules'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/keyword-rules', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data,
  });
  const errors = useApiError();
  const [test, setTest] = useState<{ text: string; channel: 'whatsapp' | 'rcs' | 'sms' }>({ text: 'STOP', channel: 'whatsapp' });
  const dryRun = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/keyword-rules/dry-run', { params: { path: { project_id: projectId } }, body: test })),
  });
  const add = useMutation({
    mutationFn: async (form: FormData) => unwrap(await api.POST('/api/v1/projects/{project_id}/keyword-rules', {
      params: { path: { project_id: projectId } },
      body: {
        keyword: fieldText(form, 'keyword'), action: fieldText(form, 'action') as 'revoke_consent',
        channel_group: fieldText(form, 'channel_group') as 'whatsapp', reply_text: fieldText(form, 'reply_text') || null,
      },
    })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'keyword-rules'] }),
    onError: (failure) => errors.set(failure),
  });
  const toggle = useMutation({
    mutationFn: async (rule: { id: string; enabled: boolean }) => unwrap(await api.PATCH('/api/v1/projects/{project_id}/keyword-rules/{rule_id}', { params: { path: { project_id: projectId, rule_id: rule.id } }, body: { enabled: rule.enabled } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'keyword-rules'] }),
  });
  const [action, setAction] = useState('no_action');
  const [group, setGroup] = useState('whatsapp');
  return (
    <Card withBorder>
      <Title order={3} size="h4">Keyword rules</Title>
      <Text size="sm" c="dimmed" mb="sm">Inbound messages matching a keyword change consent and get the reply.</Text>
      <Table.ScrollContainer minWidth={560}>
        <Table striped>
          <Table.Thead><Table.Tr><Table.Th>Keyword</Table.Th><Table.Th>Channels</Table.Th><Table.Th>Action</Table.Th><Table.Th>Reply</Table.Th><Table.Th>Enabled</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {rules.data?.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.keyword}</Table.Td><Table.Td>{r.channel_group}</Table.Td><Table.Td>{r.action}</Table.Td><Table.Td>{r.reply_text ?? '—'}</Table.Td>
                <Table.Td><Switch aria-label={`${r.keyword} ${r.channel_group} enabled`} checked={r.enabled} disabled={!isAdmin} onChange={(e) => toggle.mutate({ id: r.id, enabled: e.currentTarget.checked })} /></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <form onSubmit={(e) => { e.preventDefault(); errors.clear(); add.mutate(new FormData(e.currentTarget)); }} noValidate>
        <Group align="flex-end" mt="sm">
          <TextInput name="keyword" label="New keyword" disabled={!isAdmin} error={errors.of('keyword')} />
          <Select name="channel_group" label="Channels" data={['whatsapp', 'rcs_sms']} value={group} onChange={(v) => setGroup(v ?? 'whatsapp')} allowDeselect={false} disabled={!isAdmin} w={130} />
          <Select name="action" label="Action" data={['no_action', 'revoke_consent', 'grant_consent']} value={action} onChange={(v) => setAction(v ?? 'no_action')} allowDeselect={false} disabled={!isAdmin} w={170} />
          <TextInput name="reply_text" label="Reply" disabled={!isAdmin} error={errors.of('reply_text')} />
          <Tooltip label={onlyAdmins('add keyword rules')} disabled={isAdmin}><Button type="submit" disabled={!isAdmin}>Add rule</Button></Tooltip>
        </Group>
        {errors.general(['keyword', 'reply_text'])}
      </form>
      <Title order={4} size="h5" mt="md">Try a message (dry run)</Title>
      <Group align="flex-end">
        <TextInput label="Inbound text" value={test.text} onChange={(e) => setTest({ ...test, text: e.currentTarget.value })} />
        <Select label="Channel" data={['whatsapp', 'rcs', 'sms']} value={test.channel} onChange={(v) => setTest({ ...test, channel: (v ?? 'whatsapp') as 'whatsapp' })} allowDeselect={false} w={120} />
        <Button variant="light" onClick={() => dryRun.mutate()}>Test</Button>
      </Group>
      {dryRun.data && (
        <Alert mt="sm" role="status" color={dryRun.data.matched ? 'teal' : 'gray'} title={dryRun.data.matched ? `Matches ${dryRun.data.rule?.keyword ?? ''}` : 'No rule matches'}>
          {dryRun.data.would.length > 0 ? dryRun.data.would.join('; ') : 'Nothing would happen.'}
        </Alert>
      )}
    </Card>
  );
}

function Members({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const client = useQueryClient();
  const errors = useApiError();
  const members = useQuery({
    queryKey: ['p', projectId, 'members'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/members', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data,
  });
  const [role, setRole] = useState<'admin' | 'member'>('member');
  const invite = useMutation({
    mutationFn: async (email: string) => unwrap(await api.POST('/api/v1/projects/{project_id}/members', { params: { path: { project_id: projectId } }, body: { email, role } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'members'] }),
    onError: (failure) => errors.set(failure),
  });
  const change = useMutation({
    mutationFn: async (m: { user_id: string; role?: 'admin' | 'member'; remove?: true }) => m.remove
      ? unwrap(await api.DELETE('/api/v1/projects/{project_id}/members/{user_id}', { params: { path: { project_id: projectId, user_id: m.user_id } } }))
      : unwrap(await api.PATCH('/api/v1/projects/{project_id}/members/{user_id}', { params: { path: { project_id: projectId, user_id: m.user_id } }, body: { role: m.role ?? 'member' } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'members'] }),
    onError: (failure) => errors.set(failure),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h4">Users</Title>
      <Table.ScrollContainer minWidth={520}>
        <Table>
          <Table.Thead><Table.Tr><Table.Th>Email</Table.Th><Table.Th>Role</Table.Th><Table.Th>Last sign-in</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {members.data?.map((m) => (
              <Table.Tr key={m.user_id}>
                <Table.Td>{m.email} {!m.password_set && <Badge size="xs" color="yellow">invited</Badge>}</Table.Td>
                <Table.Td>
                  <Select aria-label={`Role of ${m.email}`} data={['admin', 'member']} value={m.role} allowDeselect={false} disabled={!isAdmin} w={120}
                    onChange={(v) => { errors.clear(); change.mutate({ user_id: m.user_id, role: v === 'admin' ? 'admin' : 'member' }); }} />
                </Table.Td>
                <Table.Td>{m.last_sign_in_at ? when(m.last_sign_in_at) : 'never'}</Table.Td>
                <Table.Td><Button size="xs" variant="subtle" color="red" disabled={!isAdmin} onClick={() => { errors.clear(); change.mutate({ user_id: m.user_id, remove: true }); }}>Remove</Button></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <form onSubmit={(e) => { e.preventDefault(); errors.clear(); invite.mutate(fieldText(new FormData(e.currentTarget), 'email')); }} noValidate>
        <Group align="flex-end" mt="sm">
          <TextInput name="email" type="email" label="Invite by email" disabled={!isAdmin} error={errors.of('email')} />
          <Select label="As" data={['member', 'admin']} value={role} onChange={(v) => setRole(v === 'admin' ? 'admin' : 'member')} allowDeselect={false} disabled={!isAdmin} w={120} />
          <Tooltip label={onlyAdmins('invite people')} disabled={isAdmin}><Button type="submit" disabled={!isAdmin} loading={invite.isPending}>Invite</Button></Tooltip>
        </Group>
      </form>
      {errors.general(['email'])}
      {invite.data?.set_password && (
        <Alert mt="sm" color="teal" title={`Invited ${invite.data.email}`} role="status">
          <Text size="sm">Send them this one-time link to set their password (valid until {when(invite.data.set_password.expires_at)}):</Text>
          <Group gap="xs" mt={4}><Code>{invite.data.set_password.url}</Code>
            <CopyButton value={invite.data.set_password.url}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? 'Copied' : 'Copy link'}</Button>}</CopyButton>
          </Group>
        </Alert>
      )}
    </Card>
  );
}

function Tokens({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const client = useQueryClient();
  const errors = useApiError();
  const tokens = useQuery({
    enabled: isAdmin,
    queryKey: ['p', projectId, 'tokens'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/tokens', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data,
  });
  const [role, setRole] = useState<'admin' | 'member'>('member');
  const create = useMutation({
    mutationFn: async (name: string) => unwrap(await api.POST('/api/v1/projects/{project_id}/tokens', { params: { path: { project_id: projectId } }, body: { name, role } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'tokens'] }),
    onError: (failure) => errors.set(failure),
  });
  const revoke = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/api/v1/projects/{project_id}/tokens/{token_id}', { params: { path: { project_id: projectId, token_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'tokens'] }),
  });
  if (!isAdmin) return <Card withBorder><Title order={3} size="h4">API tokens</Title><Text size="sm">{onlyAdmins('see and create API tokens')}.</Text></Card>;
  return (
    <Card withBorder>
      <Title order={3} size="h4">API tokens</Title>
      <Text size="sm" c="dimmed">For machines: send as <Code>Authorization: Bearer …</Code>. A token's value is shown once.</Text>
      <Table mt="sm">
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Role</Table.Th><Table.Th>Last used</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {tokens.data?.map((t) => (
            <Table.Tr key={t.id}>
              <Table.Td>{t.name}</Table.Td><Table.Td>{t.role}</Table.Td><Table.Td>{t.last_used_at ? when(t.last_used_at) : 'never'}</Table.Td>
              <Table.Td>{t.revoked_at ? <Badge color="gray">revoked</Badge> : <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(t.id)}>Revoke</Button>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form onSubmit={(e) => { e.preventDefault(); errors.clear(); create.mutate(fieldText(new FormData(e.currentTarget), 'name')); }} noValidate>
        <Group align="flex-end" mt="sm">
          <TextInput name="name" label="New token name" error={errors.of('name')} />
          <Select label="Role" data={['member', 'admin']} value={role} onChange={(v) => setRole(v === 'admin' ? 'admin' : 'member')} allowDeselect={false} w={120} />
          <Button type="submit">Create token</Button>
        </Group>
      </form>
      {create.data && (
        <Alert mt="sm" color="teal" title="Copy the token now: it is not shown again" role="status">
          <Group gap="xs"><Code>{create.data.token}</Code><CopyButton value={create.data.token}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton></Group>
        </Alert>
      )}
    </Card>
  );
}

export default function SettingsPage() {
  const { projectId = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const isAdmin = useRole(projectId) === 'admin';
  const tab = params.get('tab') ?? 'channels';
  return (
    <Stack>
      <Title order={2}>Project settings</Title>
      <Tabs value={tab} onChange={(v) => setParams({ tab: v ?? 'channels' })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="channels">Channels</Tabs.Tab>
          <Tabs.Tab value="campaigns">Campaigns › Mapping</Tabs.Tab>
          <Tabs.Tab value="keywords">Keywords</Tabs.Tab>
          <Tabs.Tab value="frequency">Frequency cap</Tabs.Tab>
          <Tabs.Tab value="tokens">API tokens</Tabs.Tab>
          <Tabs.Tab value="people">Users</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="channels" pt="md"><Channels projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
        <Tabs.Panel value="campaigns" pt="md"><EventMapping projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
        <Tabs.Panel value="frequency" pt="md"><FrequencyCap projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
        <Tabs.Panel value="keywords" pt="md"><Keywords projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
        <Tabs.Panel value="people" pt="md"><Members projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
        <Tabs.Panel value="tokens" pt="md"><Tokens projectId={projectId} isAdmin={isAdmin} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
