import { Alert, Button, Group, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap } from '../api/client.ts';

export interface TemplateChoice { name: string; language: string; parameters: Record<string, string> }

/** The WhatsApp template message for a choice, as the API takes it. */
export function templateMessage(choice: TemplateChoice) {
  return { template_message: { channel_template: { WHATSAPP: { template_id: choice.name, language_code: choice.language, parameters: choice.parameters } } } };
}

/** The project's default WhatsApp provider, for screens that send without choosing one. */
export function useDefaultWhatsApp(projectId: string): string | null | undefined {
  const channels = useQuery({
    queryKey: ['p', projectId, 'settings', 'channels'],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/settings/channels', { params: { path: { project_id: projectId } } })),
  });
  return channels.data?.whatsapp_integration_id;
}

/**
 * Picks one of the integration's approved WhatsApp templates (from Sinch, cached by the service) and fills its
 * parameters, with the body as the customer will read it. `hint` is shown under each parameter (e.g. Liquid).
 */
export function TemplatePicker({ projectId, integrationId, value, onChange, hint, error }: {
  projectId: string; integrationId: string | null | undefined; value: TemplateChoice | undefined; onChange: (choice: TemplateChoice | undefined) => void;
  hint?: string; error?: string | undefined;
}) {
  const client = useQueryClient();
  const catalogue = useQuery({
    enabled: typeof integrationId === 'string',
    queryKey: ['p', projectId, 'templates', integrationId],
    queryFn: async () => unwrap(await api.GET('/api/v1/projects/{project_id}/integrations/{integration_id}/templates', {
      params: { path: { project_id: projectId, integration_id: integrationId ?? '' }, query: {} },
    })),
    staleTime: 60_000,
  });
  const templates = catalogue.data?.whatsapp ?? [];
  const key = (t: { name: string; language: string }) => `${t.name}\u0000${t.language}`;
  const chosen = value === undefined ? undefined : templates.find((t) => key(t) === key(value));
  // The first approved template is preselected, so a send always names a real one.
  useEffect(() => {
    if (value === undefined && templates[0] !== undefined) onChange({ name: templates[0].name, language: templates[0].language, parameters: Object.fromEntries(templates[0].parameters.map((p) => [p, ''])) });
  }, [value, templates, onChange]);
  if (integrationId === null) return <Alert color="yellow">Choose a default WhatsApp provider (Project settings › Channels) to pick its templates.</Alert>;
  const body = chosen === undefined ? '' : chosen.body.replace(/\{\{(\d+)\}\}/g, (m, n: string) => value?.parameters[`body[${n}]text`] || m);
  async function refresh() {
    const fresh = unwrap(await api.GET('/api/v1/projects/{project_id}/integrations/{integration_id}/templates', {
      params: { path: { project_id: projectId, integration_id: integrationId ?? '' }, query: { refresh: true } },
    }));
    client.setQueryData(['p', projectId, 'templates', integrationId], fresh);
  }
  return (
    <Stack gap="xs">
      <Group align="flex-end" wrap="nowrap">
        <Select label="WhatsApp template" placeholder={catalogue.isPending ? 'Loading templates…' : 'No approved template'} style={{ flex: 1 }}
          data={templates.map((t) => ({ value: key(t), label: `${t.name} (${t.language}) · ${t.category.toLowerCase()}` }))}
          value={chosen === undefined ? null : key(chosen)} allowDeselect={false} error={error ?? (catalogue.error ? `Could not read the templates: ${catalogue.error.message}` : undefined)}
          onChange={(k) => {
            const t = templates.find((x) => key(x) === k);
            if (t !== undefined) onChange({ name: t.name, language: t.language, parameters: Object.fromEntries(t.parameters.map((p) => [p, value?.parameters[p] ?? ''])) });
          }} />
        <Button variant="subtle" size="xs" onClick={() => void refresh()}>Refresh from Sinch</Button>
      </Group>
      {chosen?.parameters.map((p) => (
        <TextInput key={p} label={`Parameter ${p}`} description={hint} value={value?.parameters[p] ?? ''}
          onChange={(e) => onChange({ ...(value ?? { name: chosen.name, language: chosen.language, parameters: {} }), parameters: { ...value?.parameters, [p]: e.currentTarget.value } })} />
      ))}
      {chosen !== undefined && (
        <Paper withBorder p="xs" bg="gray.0" aria-label="Template preview">
          {chosen.header && <Text size="sm" fw={700}>{chosen.header}</Text>}
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{body}</Text>
          {chosen.footer && <Text size="xs" c="dimmed">{chosen.footer}</Text>}
        </Paper>
      )}
    </Stack>
  );
}
