import type { ConsentState } from '../domain/send-policy.ts';
import type { MessageStatus } from '../domain/statuses.ts';

/** Row shapes of every table. Times are RFC 3339 strings (UTC, millisecond precision) unless named `*_ts`. */
export interface Database {
  instance_settings: { key: string; value: string };
  template_catalogues: { integration_id: string; fetched_at: string; catalogue_json: string };
  /** A number's capability on a channel as Sinch last said (or `pending` while a query is out), per integration. */
  channel_capabilities: {
    integration_id: string;
    phone: string;
    channel: 'rcs';
    status: 'capable' | 'not_capable' | 'unknown' | 'pending';
    reason: string | null;
    request_id: string | null;
    queried_at: string | null;
    checked_at: string | null;
    expires_at: string;
  };
  /** An entry seen on one of an integration's opt-out lists at Sinch (consent import). */
  sinch_consent_entries: {
    integration_id: string;
    list: 'OPT_OUT_ALL' | 'OPT_OUT_MARKETING' | 'OPT_OUT_NOTIFICATION';
    /** As Sinch lists it (digits, no `+`). */
    identity: string;
    seen_at: string;
  };
  /** The last consent import of an integration: when, how it went, what it counted (lists' sizes null on error). */
  sinch_consent_syncs: {
    integration_id: string;
    synced_at: string;
    outcome: 'ok' | 'error';
    error_code: string | null;
    detail: string | null;
    opt_out_all: number | null;
    opt_out_marketing: number | null;
    opt_out_notification: number | null;
    added: number;
    removed: number;
    imported: number;
    revocations: number;
  };
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
    region: 'EU' | 'US' | 'BR' | 'SANDBOX';
    webhook_secret_enc: string;
    previous_webhook_secret_enc: string | null;
    previous_webhook_secret_until: string | null;
    senders_json: string;
    send_rate_per_second: number | null;
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
    whatsapp_window_check: number;
    updated_at: string;
    /** `{"max": n, "period": "day" | "week"}`; null: no cap. */
    frequency_cap_json: string | null;
  };
  jobs: {
    id: string;
    kind: string;
    key: string | null;
    payload: string;
    /** Epoch milliseconds. */
    run_at: number;
    attempts: number;
    max_attempts: number;
    locked_by: string | null;
    locked_until: number | null;
    last_error: string | null;
    dead: number;
    created_at: string;
  };
  messages: {
    id: string;
    project_id: string;
    integration_id: string;
    channel: 'whatsapp' | 'rcs';
    recipient: string;
    sender: string | null;
    campaign_id: string | null;
    content_kind: string;
    content_json: string;
    options_json: string;
    status: MessageStatus;
    provider_message_id: string | null;
    error: string | null;
    error_description: string | null;
    possible_duplicate: number;
    attempt_count: number;
    current_channel: string | null;
    created_at: string;
    updated_at: string;
    /** When Sinch accepted the message, Unix seconds with fraction. */
    sent_ts: number | null;
    /** 1 for a keyword confirmation, which goes out even after an opt-out. */
    consent_exempt: number;
    reply_to_inbound_id: string | null;
    /** Which send lane: 0 replies and keyword confirmations, 1 API sends, 2 bulk (campaigns). Lower goes first. */
    priority: number;
    /**
     * Epoch ms. While the message waits to be handed to Sinch: when it is due. While a worker holds it
     * (`locked_by` set): when that worker's lease runs out. Null once there is nothing more to send.
     */
    next_attempt_at: number | null;
    /** The worker holding the message: an attempt is in flight. Left set by a worker that died mid-attempt. */
    locked_by: string | null;
    /** When the latest attempt started. */
    attempt_started_at: string | null;
    /** Set by a claim that found an attempt cut off by a crash (its start), so that attempt can be recorded. */
    interrupted_at: string | null;
    /** The campaign that created the message (one per campaign and phone); null for API sends and replies. */
    campaign_ref: string | null;
    /** When the sender asked it to go (`send_at`), if later than its acceptance. */
    send_at: string | null;
  };
  message_attempts: {
    id: string;
    message_id: string;
    number: number;
    started_at: string;
    finished_at: string | null;
    /** `interrupted`: the worker stopped during the attempt (Sinch may have accepted it). `in_flight`: before 0007 only. */
    outcome: 'in_flight' | 'interrupted' | 'accepted' | 'retryable' | 'rejected' | 'refused';
    http_status: number | null;
    error_code: string | null;
    error_message: string | null;
    retry_in_ms: number | null;
  };
  message_timeline: {
    id: string;
    message_id: string;
    at: string;
    kind: string;
    status: string | null;
    channel: string | null;
    detail_json: string;
  };
  events: {
    id: string;
    project_id: string;
    event: string;
    /** Unix seconds with fraction. */
    ts: number;
    status: string;
    action_type: string;
    campaign_id: string | null;
    recipient: string | null;
    message_id: string | null;
    integration_id: string | null;
    dedupe_key: string;
    properties_json: string;
    recorded_at: string;
  };
  callbacks: {
    id: string;
    integration_id: string;
    project_id: string;
    trigger: string;
    dedupe_key: string;
    provider_message_id: string | null;
    received_at: string;
    body: string;
    processed_at: string | null;
    outcome: string | null;
    /** The signature nonce it arrived with (null before 0007): a nonce is accepted once per integration. */
    nonce: string | null;
    /** Epoch ms; set only while the callback's effects still have to be applied (see ADR 0005). */
    next_attempt_at: number | null;
    locked_by: string | null;
    attempts: number;
    last_error: string | null;
  };
  idempotency_keys: {
    project_id: string;
    key: string;
    request_hash: string;
    status_code: number;
    response_json: string;
    created_at: string;
  };
  customer_imports: {
    id: string;
    project_id: string;
    name: string;
    status: 'waiting' | 'running' | 'completed' | 'failed';
    rows_read: number;
    created_count: number;
    updated_count: number;
    error_count: number;
    failure: string | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    /** The column mapping given at creation (`ColumnMapping` as JSON); null: columns are taken by their names. */
    columns_json: string | null;
  };
  customer_import_errors: { import_id: string; row_number: number; field: string; message: string };
  customer_import_members: { import_id: string; customer_id: string };
  segments: { id: string; project_id: string; name: string; filter_json: string; created_at: string; updated_at: string };
  campaigns: {
    id: string;
    project_id: string;
    name: string;
    status: 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'cancelled';
    channel: 'whatsapp' | 'rcs';
    integration_id: string;
    content_json: string;
    audience_json: string;
    settings_json: string;
    send_at: string | null;
    /** Last customer id the fan-out wrote a message (or a skip) for. */
    fanout_cursor: string | null;
    fanout_done: number;
    /** Messages created so far (their due times are spread by the throttle in this order). */
    queued_count: number;
    created_at: string;
    updated_at: string;
    launched_at: string | null;
    finished_at: string | null;
  };
  campaign_skips: { campaign_id: string; phone: string; customer_id: string; reason: string; detail: string | null };
  campaign_counters: { campaign_id: string; key: string; value: number };
  /** Shared token buckets (GCRA): `tat` is the theoretical arrival time of the next permit, epoch ms. */
  rate_limits: {
    key: string;
    tat: number;
    /** Permits the last reservation got. */
    granted: number;
  };
  customers: {
    id: string;
    project_id: string;
    phone: string;
    attributes_json: string;
    consent_whatsapp: ConsentState;
    consent_rcs: ConsentState;
    consent_sms: ConsentState;
    last_inbound_whatsapp_at: string | null;
    created_at: string;
    updated_at: string;
    /** `,tag,other,` (empty: none), so that one tag is found with LIKE. */
    tags: string;
    /** IANA time zone, for quiet hours. */
    time_zone: string | null;
    last_inbound_at: string | null;
  };
  consent_ledger: {
    id: string;
    project_id: string;
    customer_id: string;
    channel: 'whatsapp' | 'rcs' | 'sms';
    action: 'grant' | 'revoke';
    /** `sinch`: Sinch's consent management reported an opt-in or opt-out (OPT_IN / OPT_OUT callback). */
    source: 'keyword' | 'api' | 'import' | 'sinch';
    rule_id: string | null;
    keyword: string | null;
    inbound_message_id: string | null;
    token_id: string | null;
    at: string;
  };
  conversations: {
    id: string;
    project_id: string;
    customer_id: string;
    channel: 'whatsapp' | 'rcs';
    last_message_at: string;
    last_inbound_at: string | null;
    unread_count: number;
    created_at: string;
  };
  inbound_messages: {
    id: string;
    project_id: string;
    integration_id: string;
    customer_id: string;
    conversation_id: string;
    channel: 'whatsapp' | 'rcs' | 'sms';
    provider_message_id: string;
    business_sender: string | null;
    kind: string;
    content_json: string;
    text: string | null;
    postback_data: string | null;
    reply_to_message_id: string | null;
    campaign_id: string | null;
    keyword_rule_id: string | null;
    received_at: string;
    created_at: string;
  };
  keyword_rules: {
    id: string;
    project_id: string;
    channel_group: 'rcs_sms' | 'whatsapp';
    keyword: string;
    action: 'revoke_consent' | 'grant_consent' | 'no_action';
    reply_text: string | null;
    enabled: number;
    created_at: string;
    updated_at: string;
  };
  event_destinations: {
    id: string;
    project_id: string;
    name: string;
    url: string;
    /** JSON array of event names to forward; null: all. */
    events_json: string | null;
    /** JSON array of statuses to forward; null: all. */
    statuses_json: string | null;
    secret_enc: string;
    batch_size: number;
    enabled: number;
    /** Id of the last event forwarded (or passed over by the filters); null: from the first event. */
    cursor_id: string | null;
    /** Last event id of the batch being retried, so a retry sends exactly the same events. */
    inflight_last_id: string | null;
    forwarded_count: number;
    consecutive_failures: number;
    last_attempt_at: string | null;
    last_success_at: string | null;
    last_error: string | null;
    last_error_at: string | null;
    last_status_code: number | null;
    next_attempt_at: string | null;
    /** The secret before the last change, still signing until `previous_secret_until` (rotation). */
    previous_secret_enc: string | null;
    previous_secret_until: string | null;
    /** When the current run of failures began (the first failure after a success); null when healthy. */
    failing_since: string | null;
    /** Why the service paused the destination (failing too long); null when it was not paused by the service. */
    paused_reason: string | null;
    paused_at: string | null;
    created_at: string;
    updated_at: string;
  };
  users: {
    id: string;
    /** Lower-cased. */
    email: string;
    name: string;
    /** `scrypt$N$r$p$salt$hash` (lib/password.ts); null until the user set a password (an open invitation). */
    password_hash: string | null;
    instance_admin: number;
    created_at: string;
    password_set_at: string | null;
    last_sign_in_at: string | null;
  };
  project_members: { project_id: string; user_id: string; role: 'admin' | 'member'; created_at: string };
  user_sessions: { token_hash: string; user_id: string; created_at: string; last_seen_at: string; expires_at: string };
  password_links: { token_hash: string; user_id: string; purpose: 'invite' | 'reset'; created_at: string; expires_at: string; used_at: string | null };
  /** Failed sign-ins per email (SHA-256 of the normalised address) in the current window (migration 0016). */
  sign_in_failures: { email_hash: string; failures: number; window_until: number };
}
