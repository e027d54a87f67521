import { timingSafeEqual } from 'node:crypto';
import { AppError, forbidden, notFound } from '../lib/app-error.ts';
import { hashToken } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import type { TokenRow, TokensRepo } from '../db/repos/tokens-repo.ts';

export type Role = 'admin' | 'member';

export type Principal =
  | { kind: 'instance_admin' }
  | { kind: 'project_token'; tokenId: string; projectId: string; role: Role }
  /** A person signed in to the console (session cookie): instance admin, or a role per project. */
  | { kind: 'user'; userId: string; instanceAdmin: boolean; roles: ReadonlyMap<string, Role>; sessionHash: string };

/** Whether the principal may act on every project (the instance admin token, or a user who is instance admin). */
export function isInstanceAdmin(principal: Principal): boolean {
  return principal.kind === 'instance_admin' || (principal.kind === 'user' && principal.instanceAdmin);
}

export interface AccessService {
  /** The principal behind a bearer token, or undefined when the token is unknown or revoked. */
  authenticate(token: string): Promise<Principal | undefined>;
}

/**
 * Decides whether a principal may act on a project. Another project's resources are reported as missing (404),
 * so a token learns nothing about what it may not see; a role that is too low on its own project gets 403.
 */
export function authorizeProject(principal: Principal, projectId: string, need: Role): void {
  if (isInstanceAdmin(principal)) return;
  if (principal.kind === 'user') {
    const role = principal.roles.get(projectId);
    if (role === undefined) throw notFound('project');
    if (need === 'admin' && role !== 'admin') throw forbidden('only admins of this project may do this; your role is member');
    return;
  }
  if (principal.kind !== 'project_token' || principal.projectId !== projectId) throw notFound('project');
  if (need === 'admin' && principal.role !== 'admin') throw forbidden();
}

export function requireInstanceAdmin(principal: Principal): void {
  if (!isInstanceAdmin(principal)) {
    throw new AppError(403, 'forbidden', 'only the instance admin may do this');
  }
}

/**
 * Bearer tokens: the instance admin's by its hash, project tokens from the database, kept in memory for a minute
 * (a request needs no query). A revocation clears that memory at once on this instance and, through the config
 * version, within `CONFIG_POLL_MS` on the others (`forget`).
 */
export function createAccessService(deps: { tokens: TokensRepo; adminTokenHash: string; clock: Clock }): AccessService & { forget(): void } {
  const adminHash = Buffer.from(deps.adminTokenHash, 'hex');
  const lastTouched = new Map<string, number>();
  let known = new Map<string, { row: TokenRow; until: number }>();
  return {
    forget() {
      known = new Map();
    },
    async authenticate(token) {
      const hash = hashToken(token);
      if (timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { kind: 'instance_admin' };
      const at = deps.clock.now().getTime();
      const hit = known.get(hash);
      let row = hit !== undefined && hit.until > at ? hit.row : undefined;
      if (row === undefined) {
        const seen = known;
        row = await deps.tokens.findActiveByHash(hash);
        if (row === undefined) return undefined;
        if (seen === known) { // not forgotten meanwhile
          if (known.size > 10_000) known.clear();
          known.set(hash, { row, until: at + 60_000 });
        }
      }
      // Record use at most once a minute per token, so hot paths do not write on every request.
      const now = deps.clock.now();
      if ((lastTouched.get(row.id) ?? 0) < now.getTime() - 60_000) {
        lastTouched.set(row.id, now.getTime());
        await deps.tokens.touch(row.id, now.toISOString());
      }
      return { kind: 'project_token', tokenId: row.id, projectId: row.project_id, role: row.role };
    },
  };
}
