import { randomBytes, randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulidx';

/**
 * Random numbers for ids from a pre-filled pool: ulidx asks for randomness once per character, and one system call
 * per character showed up in profiles. Ids are not secrets (tokens below use `randomBytes` directly).
 */
const pool = new Uint32Array(1024);
let poolIndex = pool.length;
function pooledRandom(): number {
  if (poolIndex >= pool.length) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  return (pool[poolIndex++] ?? 0) / 0x1_0000_0000;
}

/** Strictly increasing within this process, even within one millisecond, so id order is creation order. */
const ulid = monotonicFactory(pooledRandom);

/** A new sortable opaque id with a short type prefix, e.g. `msg_01J…`. */
export function createId(prefix: string): string {
  return `${prefix}_${ulid().toLowerCase()}`;
}

/** A new unguessable token (256 bits, base64url) with a readable prefix. */
export function createSecretToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}
