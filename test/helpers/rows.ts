import type { IntegrationRow } from '../../src/db/repos/integrations-repo.ts';

/** An integration row for repository tests (no real secrets: nothing here talks to Sinch). */
export function integrationRow(id: string, projectId: string, at: string): IntegrationRow {
  return {
    id, project_id: projectId, provider: 'sinch_mobile_messaging', name: id, sinch_project_id: 'sp', app_id: 'app', access_key: 'k',
    access_secret_enc: 'enc', region: 'EU', webhook_secret_enc: 'enc', previous_webhook_secret_enc: null, previous_webhook_secret_until: null,
    senders_json: '{}', send_rate_per_second: null, callback_token_hash: `hash-${id}`, callback_token_enc: 'enc', created_at: at, updated_at: at,
  };
}
