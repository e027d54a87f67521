import { Button, Card, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { ErrorAlert, useApiError } from '../components/Form.tsx';
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
