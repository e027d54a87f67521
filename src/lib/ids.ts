import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulidx';

/** Strictly increasing within this process, even within one millisecond, so id order is creation order. */
const ulid = monotonicFactory();

/** A new sortable opaque id with a short type prefix, e.g. `msg_01J…`. */
export function createId(prefix: string): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}

/** A new unguessable token (256 bits, base64url) with a readable prefix. */
export function createSecretToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
