import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest with AES-256-GCM. Each value carries the id of the key that sealed it
 * (`v1.<key id>.<iv>.<tag>.<ciphertext>`, base64url parts), so keys can rotate: the first key seals,
 * every key opens.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  readonly currentKeyId: string;
}

function decodeKey(text: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error('an encryption key must be 32 bytes');
  return key;
}

/** Short, non-secret id of a key: the first 8 bytes of SHA-256 over a domain tag and the key. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('mobile-messaging:key-id:').update(key).digest('base64url').slice(0, 11);
}

export function createSecretBox(keyTexts: readonly string[]): SecretBox {
  const keys = keyTexts.map(decodeKey);
  const first = keys[0];
  if (first === undefined) throw new Error('at least one encryption key is needed');
  const byId = new Map(keys.map((k) => [keyIdOf(k), k]));
  const currentKeyId = keyIdOf(first);
  return {
    currentKeyId,
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', first, iv);
      cipher.setAAD(Buffer.from(currentKeyId));
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return ['v1', currentKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    open(sealed) {
      const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
      if (version !== 'v1' || keyId === undefined || iv === undefined || tag === undefined || ciphertext === undefined) {
        throw new Error('not a sealed secret');
      }
      const key = byId.get(keyId);
      if (key === undefined) throw new Error(`secret sealed with unknown key ${keyId}; add that key to MASTER_KEY`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export function generateKeyText(): string {
  return randomBytes(32).toString('base64');
}

/** API tokens are 256-bit random values, so one SHA-256 is a sound, fast lookup hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
