import { createHmac, timingSafeEqual } from 'node:crypto';

/** Sinch's callback signature (doc §5): base64(HMAC-SHA256(secret, rawBody + "." + nonce + "." + timestamp)). */
export function computeSignature(secret: string, rawBody: string | Buffer, nonce: string, timestamp: string): string {
  return createHmac('sha256', secret)
    .update(rawBody)
    .update('.')
    .update(nonce)
    .update('.')
    .update(timestamp)
    .digest('base64');
}

export type SignatureCheck =
  | { ok: true; nonce: string; timestamp: number }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale' | 'mismatch' };

export interface SignatureHeaders {
  signature: string | undefined;
  nonce: string | undefined;
  timestamp: string | undefined;
}

/**
 * Verifies a callback on its raw bytes against any of the accepted secrets (several during rotation), with a
 * constant-time comparison and a timestamp window: at most `maxAgeSeconds` old (a late retry of Sinch may carry its
 * first signature, protocol notes §5) and at most `toleranceSeconds` ahead (clock skew). Nonce replay is the
 * caller's (it needs storage, kept at least as long as `maxAgeSeconds`).
 */
export function verifySignature(
  rawBody: string | Buffer, headers: SignatureHeaders, secrets: readonly string[], nowMs: number, toleranceSeconds: number, maxAgeSeconds = toleranceSeconds,
): SignatureCheck {
  const { signature, nonce, timestamp } = headers;
  if (signature === undefined || nonce === undefined || timestamp === undefined || signature === '' || nonce === '') {
    return { ok: false, reason: 'missing_headers' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const ts = Number(timestamp);
  const age = nowMs / 1000 - ts;
  if (age > maxAgeSeconds || -age > toleranceSeconds) return { ok: false, reason: 'stale' };
  // Node's base64 decoder skips what is not base64 (`sig!!`, `s i g`, a missing `=`), so several header values would
  // decode to the same bytes: only the canonical form, the one that encodes back to itself, is the signature.
  const given = Buffer.from(signature, 'base64');
  if (given.toString('base64') !== signature) return { ok: false, reason: 'mismatch' };
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(computeSignature(secret, rawBody, nonce, timestamp), 'base64');
    // Every secret is checked, so timing does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched ? { ok: true, nonce, timestamp: ts } : { ok: false, reason: 'mismatch' };
}
