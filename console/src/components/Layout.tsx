import { Anchor, AppShell, Badge, Burger, Button, Group, NavLink, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { NavLink as RouterLink, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useRole, useSession } from '../session.tsx';
import { useLiveEvents } from '../live.ts';

const sections = [
  ['campaigns', 'Campaigns'],
  ['inbox', 'Inbox'],
  ['customers', 'Customers'],
  ['integrations', 'Data & Assets › Integrations'],
  ['settings', 'Project settings'],
  ['events', 'Events'],
  ['messages', 'Messages'],
] as const;

export function useProjects() {
  return useQuery({ queryKey: ['projects'], queryFn: async () => unwrap(await api.GET('/api/v1/projects', { params: { query: { limit: 1000 } } })).data });
}

/** Keeps every screen of the project live: each event refreshes what it may have changed. */
function LiveProject({ projectId, onState }: { projectId: string; onState: (connected: boolean) => void }) {
  const client = useQueryClient();
  useLiveEvents(projectId, () => {
    void client.invalidateQueries({ queryKey: ['p', projectId] });
  }, onState);
  return null;
}

export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const [live, setLive] = useState(false);
  const { session } = useSession();
  const { projectId } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const projects = useProjects();
  const role = useRole(projectId ?? '');
  const section = location.pathname.split('/')[3] ?? 'integrations';
  // The sandbox phone exists only while the built-in sandbox is on.
  const sandbox = useQuery({ queryKey: ['sandbox-on'], queryFn: async () => (await fetch('/sandbox/phone', { method: 'HEAD' })).ok, staleTime: Infinity });

  async function signOut() {
    await api.DELETE('/api/v1/session');
    client.clear();
    void navigate('/sign-in');
  }

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={1} size="h4">Mobile Messaging</Title>
            {sandbox.data === true && <Badge color="orange" variant="light" aria-label="Sandbox is on">Sandbox</Badge>}
          </Group>
          <Group wrap="nowrap" gap="sm">
            {projectId !== undefined && <Badge variant="dot" color={live ? 'teal' : 'gray'} aria-label={live ? 'Live updates on' : 'Live updates reconnecting'}>{live ? 'live' : 'offline'}</Badge>}
            <Text size="sm" visibleFrom="xs" aria-label="Signed in as">{session.user.email}{role !== undefined ? ` · ${role}` : ''}</Text>
            <Button variant="subtle" size="xs" onClick={() => void signOut()}>Sign out</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Sections">
        <Stack gap="xs">
          <Select
            label="Project" aria-label="Project" value={projectId ?? null} allowDeselect={false}
            data={(projects.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
            onChange={(id) => { if (id !== null) void navigate(`/p/${id}/${section}`); close(); }}
            placeholder={projects.isPending ? 'Loading…' : 'Choose a project'}
          />
          {session.user.instance_admin && <NavLink component={RouterLink} to="/" label="All projects" onClick={close} end />}
          {projectId !== undefined && sections.map(([path, label]) => (
            <NavLink key={path} component={RouterLink} to={`/p/${projectId}/${path}`} label={label} onClick={close} />
          ))}
          {sandbox.data === true && <Anchor href="/sandbox/phone" target="_blank" size="sm" mt="md">Sandbox phone ↗</Anchor>}
          <Anchor href="/docs" target="_blank" size="sm" mt={sandbox.data === true ? 0 : 'md'}>API reference ↗</Anchor>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        {projectId !== undefined && <LiveProject projectId={projectId} onState={setLive} />}
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
