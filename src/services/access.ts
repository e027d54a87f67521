import { timingSafeEqual } from 'node:crypto';
import { AppError, forbidden, notFound } from '../lib/app-error.ts';
import { hashToken } from '../lib/secret-box.ts';
import type { Clock } from '../lib/time.ts';
import type { TokensRepo } from '../db/repos/tokens-repo.ts';

export type Role = 'admin' | 'member';

export type Principal =
  | { kind: 'instance_admin' }
  | { kind: 'project_token'; tokenId: string; projectId: string; role: Role };

export interface AccessService {
  /** The principal behind a bearer token, or undefined when the token is unknown or revoked. */
  authenticate(token: string): Promise<Principal | undefined>;
}

/**
 * Decides whether a principal may act on a project. Another project's resources are reported as missing (404),
 * so a token learns nothing about what it may not see; a role that is too low on its own project gets 403.
 */
export function authorizeProject(principal: Principal, projectId: string, need: Role): void {
  if (principal.kind === 'instance_admin') return;
  if (principal.projectId !== projectId) throw notFound('project');
  if (need === 'admin' && principal.role !== 'admin') throw forbidden();
}

export function requireInstanceAdmin(principal: Principal): void {
  if (principal.kind !== 'instance_admin') {
    throw new AppError(403, 'forbidden', 'only the instance admin token may do this');
  }
}

export function createAccessService(deps: { tokens: TokensRepo; adminTokenHash: string; clock: Clock }): AccessService {
  const adminHash = Buffer.from(deps.adminTokenHash, 'hex');
  const lastTouched = new Map<string, number>();
  return {
    async authenticate(token) {
      const hash = hashToken(token);
      if (timingSafeEqual(Buffer.from(hash, 'hex'), adminHash)) return { kind: 'instance_admin' };
      const row = await deps.tokens.findActiveByHash(hash);
      if (row === undefined) return undefined;
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
