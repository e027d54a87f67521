import { Alert, Anchor, Badge, Button, Card, FileInput, Group, Progress, Select, Stack, Table, Tabs, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, unwrap, ApiFailure, errorOf } from '../api/client.ts';
import { ErrorAlert, useApiError } from '../components/Form.tsx';
import { Pager, usePager } from '../components/Pager.tsx';
import { attributeName, csvHead, fieldTargets, guessColumns, mappingOf, type ColumnChoice } from '../import-columns.ts';

function CustomerList({ projectId }: { projectId: string }) {
  const [phone, setPhone] = useState('');
  const pager = usePager();
  const cursor = pager.cursor;
  const list = useQuery({
    queryKey: ['p', projectId, 'customers', 'list', phone, cursor],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/customers', { params: { path: { project_id: projectId }, query: { limit: 50, ...(phone ? { phone } : {}), ...(cursor ? { cursor } : {}) } } })),
  });
  return (
    <Stack>
      <TextInput label="Find by phone" placeholder="+46732001122" onBlur={(e) => { pager.reset(); setPhone(e.currentTarget.value.trim()); }} onKeyDown={(e) => { if (e.key === 'Enter') { pager.reset(); setPhone(e.currentTarget.value.trim()); } }} maw={320} />
      <ErrorAlert error={list.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Customers">
          <Table.Thead><Table.Tr><Table.Th>Phone</Table.Th><Table.Th>Consent</Table.Th><Table.Th>Tags</Table.Th><Table.Th>Attributes</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data?.data.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.phone}</Table.Td>
                <Table.Td>{(['whatsapp', 'rcs', 'sms'] as const).map((ch) => <Badge key={ch} size="xs" mr={2} color={c.consent[ch] === 'revoked' ? 'red' : c.consent[ch] === 'granted' ? 'teal' : 'gray'}>{ch} {c.consent[ch]}</Badge>)}</Table.Td>
                <Table.Td>{c.tags.join(', ')}</Table.Td>
                <Table.Td><Text size="xs" lineClamp={1}>{JSON.stringify(c.attributes)}</Text></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager pager={pager} next={list.data?.next_cursor} labels={['Previous', 'Next']} />
    </Stack>
  );
}

function Import({ projectId }: { projectId: string }) {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [importId, setImportId] = useState<string | undefined>();
  const [totalRows, setTotalRows] = useState(0);
  const [failure, setFailure] = useState<string | undefined>();
  const progress = useQuery({
    enabled: importId !== undefined,
    queryKey: ['p', projectId, 'imports', importId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/customer-imports/{import_id}', { params: { path: { project_id: projectId, import_id: importId ?? '' } } })),
    refetchInterval: (q) => (q.state.data?.status === 'running' || q.state.data?.status === 'waiting' ? 500 : false),
  });
  const errors = useQuery({
    enabled: progress.data !== undefined && progress.data.errors > 0 && progress.data.status !== 'running',
    queryKey: ['p', projectId, 'imports', importId, 'errors'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/customer-imports/{import_id}/errors', { params: { path: { project_id: projectId, import_id: importId ?? '' }, query: { limit: 100 } } })).data,
  });
  const [head, setHead] = useState<string[][]>([]);
  const [choices, setChoices] = useState<ColumnChoice[]>([]);
  const header = head[0] ?? [];
  const mapping = mappingOf(header, choices);
  const start = useMutation({
    mutationFn: async (chosen: File) => {
      setFailure(undefined);
      setTotalRows(Math.max(0, (await chosen.text()).split('\n').filter((l) => l.trim() !== '').length - 1));
      const created = unwrap(await api.POST('/api/v1/projects/{project_id}/customer-imports', { params: { path: { project_id: projectId }, query: {} }, body: { name: chosen.name, columns: mapping.columns } as never }));
      setImportId(created.id);
      const session = client.getQueryData<{ csrf_token: string }>(['session']);
      const response = await fetch(`/api/v1/projects/${projectId}/customer-imports/${created.id}/csv`, {
        method: 'PUT', body: chosen, headers: { 'content-type': 'text/csv', 'x-csrf-token': session?.csrf_token ?? '' },
      });
      if (!response.ok) throw new ApiFailure(errorOf(await response.json().catch(() => undefined)), response.status);
      await client.invalidateQueries({ queryKey: ['p', projectId] });
    },
    onError: (e) => setFailure(e.message),
  });
  const p = progress.data;
  async function choose(chosen: File | null) {
    setFile(chosen);
    setImportId(undefined);
    // A preview of the first rows, so a wrong file or separator shows before importing, and a first guess of what
    // each column is, to correct before importing.
    const text = chosen === null ? '' : await chosen.slice(0, 64 * 1024).text();
    const rows = csvHead(text, 6);
    setHead(rows);
    setChoices(guessColumns(rows[0] ?? []));
  }
  const choose1 = (i: number, choice: ColumnChoice) => setChoices((all) => all.map((c, k) => (k === i ? choice : c)));
  const targetData = [...fieldTargets, { value: 'attribute', label: 'Attribute' }, { value: 'ignore', label: 'Ignore' }];
  return (
    <Card withBorder
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => { e.preventDefault(); const dropped = e.dataTransfer.files[0]; if (dropped) void choose(dropped); }}>
      <Title order={3} size="h4">Import contacts (CSV)</Title>
      <Text size="sm">Drop a CSV file here, or choose one.</Text>
      <Text size="sm" c="dimmed">Any column names: choose below what each column is (the phone, tags, time zone, consent per channel, an attribute, or ignore). Re-importing updates by phone.</Text>
      <Group align="flex-end" mt="sm">
        <FileInput label="CSV file" accept=".csv,text/csv" value={file} onChange={(f) => void choose(f)} w={320} clearable />
        <Button disabled={file === null || header.length === 0 || mapping.problem !== undefined} loading={start.isPending} onClick={() => file && start.mutate(file)}>Import</Button>
      </Group>
      {header.length > 0 && p === undefined && (
        <>
          <Table.ScrollContainer minWidth={400} mt="sm">
            <Table fz="xs" aria-label="First rows of the file">
              <Table.Thead>
                <Table.Tr>{header.map((h, i) => <Table.Th key={i}>{h}</Table.Th>)}</Table.Tr>
                <Table.Tr aria-label="Column mapping">
                  {header.map((h, i) => {
                    const choice = choices[i] ?? { kind: 'ignore' };
                    return (
                      <Table.Th key={i} miw={150}>
                        <Select size="xs" aria-label={`Column ${h} is`} allowDeselect={false} data={targetData}
                          value={choice.kind === 'field' ? choice.field : choice.kind}
                          onChange={(v) => choose1(i, v === 'ignore' ? { kind: 'ignore' } : v === 'attribute' ? { kind: 'attribute', name: attributeName(h) } : { kind: 'field', field: v ?? 'phone' })} />
                        {choice.kind === 'attribute' && (
                          <TextInput size="xs" mt={4} aria-label={`Attribute name for ${h}`} value={choice.name} onChange={(e) => choose1(i, { kind: 'attribute', name: e.currentTarget.value.trim() })} />
                        )}
                      </Table.Th>
                    );
                  })}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>{head.slice(1).map((row, i) => <Table.Tr key={i}>{header.map((_, j) => <Table.Td key={j}>{row[j] ?? ''}</Table.Td>)}</Table.Tr>)}</Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {mapping.problem !== undefined && <Text size="sm" c="red" role="alert" mt={4}>{mapping.problem}</Text>}
        </>
      )}
      {failure && <Alert color="red" mt="sm" role="alert">{failure}</Alert>}
      {p && (
        <Stack gap={4} mt="sm" aria-label="Import progress">
          <Progress value={totalRows > 0 ? Math.min(100, (100 * p.rows_read) / totalRows) : p.status === 'completed' ? 100 : 0} animated={p.status === 'running'} aria-label="Rows read" />
          <Text size="sm" role="status">{p.status}: {p.rows_read} rows read, {p.created} created, {p.updated} updated, {p.errors} with errors{p.failure ? ` — ${p.failure}` : ''}</Text>
        </Stack>
      )}
      {errors.data && errors.data.length > 0 && (
        <>
          <Table mt="sm" fz="xs" aria-label="Import errors">
            <Table.Thead><Table.Tr><Table.Th>Row</Table.Th><Table.Th>Field</Table.Th><Table.Th>Problem</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>{errors.data.map((e) => <Table.Tr key={`${e.row}:${e.field}`}><Table.Td>{e.row}</Table.Td><Table.Td>{e.field}</Table.Td><Table.Td>{e.message}</Table.Td></Table.Tr>)}</Table.Tbody>
          </Table>
          <Anchor size="sm" href={`/api/v1/projects/${projectId}/customer-imports/${importId ?? ''}/errors?format=csv`}>Download the error report (CSV)</Anchor>
        </>
      )}
    </Card>
  );
}

function Segments({ projectId }: { projectId: string }) {
  const client = useQueryClient();
  const errors = useApiError();
  const [name, setName] = useState('');
  const [filter, setFilter] = useState('{"all": [{"consent": {"channel": "whatsapp", "state": "granted"}}]}');
  const parsed = (() => { try { return JSON.parse(filter) as unknown; } catch { return undefined; } })();
  const count = useQuery({
    enabled: parsed !== undefined,
    queryKey: ['p', projectId, 'segment-preview', filter],
    queryFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/segments/preview', { params: { path: { project_id: projectId }, query: {} }, body: { filter: parsed } as never })),
  });
  const segments = useQuery({
    queryKey: ['p', projectId, 'segments'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/segments', { params: { path: { project_id: projectId }, query: { limit: 1000 } } })).data,
  });
  const save = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/projects/{project_id}/segments', { params: { path: { project_id: projectId } }, body: { name, filter: parsed } as never })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['p', projectId, 'segments'] }),
    onError: (e) => errors.set(e),
  });
  return (
    <Card withBorder>
      <Title order={3} size="h4">Segments</Title>
      <Table fz="sm" mb="sm"><Table.Tbody>{segments.data?.map((s) => <Table.Tr key={s.id}><Table.Td>{s.name}</Table.Td><Table.Td><Text size="xs">{JSON.stringify(s.filter)}</Text></Table.Td></Table.Tr>)}</Table.Tbody></Table>
      <TextInput label="New segment name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.of('name')} maw={320} />
      <Textarea label="Filter (docs/campaigns.md: all/any/not, attribute, tag, consent, last_inbound, engagement, opted_out)" autosize minRows={2} value={filter} onChange={(e) => setFilter(e.currentTarget.value)}
        error={parsed === undefined ? 'not valid JSON' : (count.error instanceof ApiFailure ? count.error.message : errors.of('filter'))} />
      <Group mt="xs">
        <Text size="sm" role="status">{count.data ? `${count.data.count} customers match` : ''}</Text>
        <Button onClick={() => { errors.clear(); save.mutate(); }} disabled={parsed === undefined || name === ''}>Save segment</Button>
      </Group>
      {errors.general(['name', 'filter'])}
    </Card>
  );
}

export default function CustomersPage() {
  const { projectId = '' } = useParams();
  return (
    <Stack>
      <Title order={2}>Customers</Title>
      <Tabs defaultValue="list" keepMounted={false}>
        <Tabs.List><Tabs.Tab value="list">Customers</Tabs.Tab><Tabs.Tab value="import">Import</Tabs.Tab><Tabs.Tab value="segments">Segments</Tabs.Tab></Tabs.List>
        <Tabs.Panel value="list" pt="md"><CustomerList projectId={projectId} /></Tabs.Panel>
        <Tabs.Panel value="import" pt="md"><Import projectId={projectId} /></Tabs.Panel>
        <Tabs.Panel value="segments" pt="md"><Segments projectId={projectId} /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
