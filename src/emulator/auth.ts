/** OAuth2 client-credentials tokens and API request authentication (doc §1.2, §1.3). */
import { createHash, randomBytes } from 'node:crypto';
import type { RpcError } from './errors.ts';
import { TrackedMap } from './tracked-map.ts';

export type IssuedToken = { access_token: string; expires_in: number; scope: string; token_type: 'bearer' };
export type TokenEntry = { projects: ReadonlySet<string>; expiresMs: number };

export function parseBasicAuth(header: string | undefined): { key: string; secret: string } | null {
  if (header === undefined) return null;
  const match = /^Basic\s+(.+)$/i.exec(header.trim());
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { key: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function parseBearer(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

const MAX_TOKENS = 100_000;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class TokenStore {
  /**
   * Issued tokens by the SHA-256 of the token (kept across restarts by the store, so a client's cached token stays
   * good, without the token itself on disk).
   */
  readonly tokens = new TrackedMap<TokenEntry>();
  readonly #now: () => number;
  lifetimeSeconds: number;

  constructor(lifetimeSeconds: number, now: () => number) {
    this.lifetimeSeconds = lifetimeSeconds;
    this.#now = now;
  }

  issue(projects: ReadonlySet<string>): IssuedToken {
    this.#purge();
    const token = `emu.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(hashToken(token), { projects, expiresMs: this.#now() + this.lifetimeSeconds * 1000 });
    return { access_token: token, expires_in: this.lifetimeSeconds, scope: '', token_type: 'bearer' };
  }

  lookup(token: string): TokenEntry | undefined {
    return this.tokens.get(hashToken(token));
  }

  clear(): void {
    this.tokens.clear();
  }

  /** Forgets tokens that expired more than one lifetime ago (they would answer "invalid" instead of "expired"). */
  #purge(): void {
    const cutoff = this.#now() - this.lifetimeSeconds * 1000;
    if (this.tokens.size < 1000) return;
    for (const [token, entry] of this.tokens) if (entry.expiresMs < cutoff) this.tokens.delete(token);
    while (this.tokens.size >= MAX_TOKENS) {
      const first = this.tokens.keys().next();
      if (first.done === true) break;
      this.tokens.delete(first.value);
    }
  }
}

export type ApiAuth = { ok: true; projects: ReadonlySet<string>; scheme: 'bearer' | 'basic' } | { ok: false; error: RpcError };

const REALM = 'Bearer realm="sinch"';

function unauthenticated(message: string, wwwAuthenticate: string): RpcError {
  return { httpStatus: 401, message, headers: { 'www-authenticate': wwwAuthenticate } };
}

/** Checks `Authorization` on a Conversation API request: a live bearer token or Basic key:secret. */
export function authenticateApiRequest(
  header: string | undefined,
  tokens: TokenStore,
  projectsForCredentials: (key: string, secret: string) => ReadonlySet<string>,
  nowMs: number,
): ApiAuth {
  const bearer = parseBearer(header);
  if (bearer !== null) {
    const entry = tokens.lookup(bearer);
    if (entry === undefined) {
      return { ok: false, error: unauthenticated('Request had invalid authentication credentials.', `${REALM}, error="invalid_token", error_description="invalid"`) };
    }
    if (entry.expiresMs <= nowMs) {
      return { ok: false, error: unauthenticated('Access token expired.', `${REALM}, error="invalid_token", error_description="expired"`) };
    }
    return { ok: true, projects: entry.projects, scheme: 'bearer' };
  }
  const basic = parseBasicAuth(header);
  if (basic !== null) {
    const projects = projectsForCredentials(basic.key, basic.secret);
    if (projects.size === 0) return { ok: false, error: unauthenticated('Request had invalid authentication credentials.', 'Basic realm="sinch"') };
    return { ok: true, projects, scheme: 'basic' };
  }
  return { ok: false, error: unauthenticated('Request is missing required authentication credential.', REALM) };
}
