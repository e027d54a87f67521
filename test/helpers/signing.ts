import { createHmac, randomUUID } from 'node:crypto';

/** Signs a body the way Sinch does (doc §5), written here independently of the service's own verifier. */
export function sinchHeaders(secret: string, body: string, options: { nonce?: string; timestamp?: number } = {}): Record<string, string> {
  const nonce = options.nonce ?? randomUUID();
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${body}.${nonce}.${timestamp}`, 'utf8').digest('base64');
  return {
    'content-type': 'application/json',
    'x-sinch-webhook-signature': signature,
    'x-sinch-webhook-signature-nonce': nonce,
    'x-sinch-webhook-signature-timestamp': timestamp,
    'x-sinch-webhook-signature-algorithm': 'HmacSHA256',
  };
}

export function deliveryReport(providerMessageId: string, status: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    app_id: 'app-456', project_id: 'proj-123', accepted_time: '2026-11-24T10:00:01.123456Z', event_time: '2026-11-24T10:00:00.987654321Z',
    message_metadata: '', correlation_id: '',
    message_delivery_report: {
      message_id: providerMessageId, conversation_id: '', contact_id: '', status,
      channel_identity: { channel: 'WHATSAPP', identity: '46732001122', app_id: '' }, metadata: '', processing_mode: 'DISPATCH', ...extra,
    },
  });
}
