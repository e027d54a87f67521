/** Row shapes of every table. Times are RFC 3339 strings (UTC, millisecond precision) unless named `*_ts`. */
export interface Database {
  instance_settings: { key: string; value: string };
  projects: { id: string; name: string; created_at: string };
  api_tokens: {
    id: string;
    project_id: string;
    name: string;
    role: 'admin' | 'member';
    token_hash: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
  integrations: {
    id: string;
    project_id: string;
    provider: 'sinch_mobile_messaging';
    name: string;
    sinch_project_id: string;
    app_id: string;
    access_key: string;
    access_secret_enc: string;
    region: 'EU' | 'US' | 'SANDBOX';
    webhook_secret_enc: string;
    previous_webhook_secret_enc: string | null;
    previous_webhook_secret_until: string | null;
    senders_json: string;
    callback_token_hash: string;
    callback_token_enc: string;
    created_at: string;
    updated_at: string;
  };
  project_settings: {
    project_id: string;
    whatsapp_integration_id: string | null;
    rcs_integration_id: string | null;
    event_name_whatsapp: string;
    event_name_rcs: string;
    updated_at: string;
  };
}
