/**
 * Callback signing exactly as Sinch does it (doc §5): base64(HMAC-SHA256(utf8(secret), rawBody + "." + nonce + "." + timestamp)).
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADERS = {
  signature: 'x-sinch-webhook-signature',
  nonce: 'x-sinch-webhook-signature-nonce',
  timestamp: 'x-sinch-webhook-signature-timestamp',
  algorithm: 'x-sinch-webhook-signature-algorithm',
} as const;

export const SIGNATURE_ALGORITHM = 'HmacSHA256';

export function computeSignature(secret: string, rawBody: string, nonce: string, timestamp: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${rawBody}.${nonce}.${timestamp}`, 'utf8').digest('base64');
}

/** The four signature headers for one callback. `nowMs` gives the timestamp (epoch seconds as a string). */
export function buildSignatureHeaders(secret: string, rawBody: string, nonce: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    [SIGNATURE_HEADERS.signature]: computeSignature(secret, rawBody, nonce, timestamp),
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.algorithm]: SIGNATURE_ALGORITHM,
  };
}
