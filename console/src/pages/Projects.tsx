import { Alert, Badge, Button, Card, Code, CopyButton, Group, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError } from '../components/Form.tsx';
import { when } from '../format.ts';
import { useProjects } from '../components/Layout.tsx';
import { useSession } from '../session.tsx';

export function ProjectsPage() {
  const { session } = useSession();
  const projects = useProjects();
  const client = useQueryClient();
  const navigate = useNavigate();
  const errors = useApiError();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects', { body: { name } })),
    onSuccess: async (p) => { await client.invalidateQueries({ queryKey: ['projects'] }); void navigate(`/p/${p.id}/integrations`); },
    onError: (e) => errors.set(e),
  });
  return (
    <Stack>
      <Title order={2}>Projects</Title>
      <ErrorAlert error={projects.error} />
      {projects.data?.length === 0 && <Text>{session.user.instance_admin ? 'No project yet: create the first one.' : 'You are not in any project yet: ask an admin to invite you.'}</Text>}
      <Table aria-label="Projects"><Table.Tbody>{projects.data?.map((p) => <Table.Tr key={p.id}><Table.Td><Link to={`/p/${p.id}/integrations`}>{p.name}</Link></Table.Td><Table.Td>{p.id}</Table.Td></Table.Tr>)}</Table.Tbody></Table>
      {session.user.instance_admin && <UsersAdmin />}
      {session.user.instance_admin && (
        <Card withBorder maw={520}>
          <form onSubmit={(e) => { e.preventDefault(); errors.clear(); create.mutate(); }} noValidate>
            <Group align="flex-end">
              <TextInput label="New project" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.of('name')} />
              <Button type="submit" loading={create.isPending}>Create project</Button>
            </Group>
            {errors.general(['name'])}
          </form>
        </Card>
      )}
    </Stack>
  );
}

/** Instance admins: every console user, new users, and password resets (a one-time link to pass on). */
export function UsersAdmin() {
  const client = useQueryClient();
  const errors = useApiError();
  const users = useQuery({ queryKey: ['users'], queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 1000 } } })).data });
  const [email, setEmail] = useState('');
  const [admin, setAdmin] = useState(false);
  const [link, setLink] = useState<{ email: string; url: string; expires_at: string } | undefined>();
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/users', { body: { email, instance_admin: admin } })),
    onSuccess: async (u) => {
      await client.invalidateQueries({ queryKey: ['users'] });
      if (u.set_password) setLink({ email: u.email, url: u.set_password.url, expires_at: u.set_password.expires_at });
      setEmail('');
    },
    onError: (e) => errors.set(e),
  });
  const reset = useMutation({
    mutationFn: async (u: { id: string; email: string }) => ({ email: u.email, ...unwrap(await api.POST('/api/v1/users/{user_id}/password-reset', { params: { path: { user_id: u.id } } })) }),
    onSuccess: (r) => setLink({ email: r.email, url: r.url, expires_at: r.expires_at }),
    onError: (e) => errors.set(e),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h4">Users of this instance</Title>
      <ErrorAlert error={users.error} />
      <Table.ScrollContainer minWidth={560}>
        <Table fz="sm" aria-label="Users">
          <Table.Thead><Table.Tr><Table.Th>Email</Table.Th><Table.Th>Last sign-in</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {users.data?.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>{u.email} {u.instance_admin && <Badge size="xs">instance admin</Badge>} {!u.password_set && <Badge size="xs" color="yellow">invited</Badge>}</Table.Td>
                <Table.Td>{u.last_sign_in_at ? when(u.last_sign_in_at) : 'never'}</Table.Td>
                <Table.Td><Button size="xs" variant="light" onClick={() => { if (window.confirm(`Reset the password of ${u.email}? Their sessions end now.`)) reset.mutate(u); }}>Reset password</Button></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <form onSubmit={(e) => { e.preventDefault(); errors.clear(); create.mutate(); }} noValidate>
        <Group align="flex-end" mt="sm">
          <TextInput label="New user (email)" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={errors.of('email')} />
          <Switch label="Instance admin" checked={admin} onChange={(e) => setAdmin(e.currentTarget.checked)} />
          <Button type="submit" loading={create.isPending}>Create user</Button>
        </Group>
      </form>
      {errors.general(['email'])}
      {link && (
        <Alert mt="sm" color="teal" role="status" title={`One-time link for ${link.email}`} withCloseButton onClose={() => setLink(undefined)}>
          <Text size="sm">Pass it on; it sets a password once (valid until {when(link.expires_at)}).</Text>
          <Group gap="xs" mt={4}><Code>{link.url}</Code><CopyButton value={link.url}>{({ copied, copy }) => <Button size="xs" onClick={copy}>{copied ? 'Copied' : 'Copy link'}</Button>}</CopyButton></Group>
        </Alert>
      )}
    </Card>
  );
}
