import { createId, createSecretToken } from '../lib/ids.ts';
import { hashToken } from '../lib/secret-box.ts';
import { buildPage, type Page, type PageRequest } from '../lib/pagination.ts';
import { notFound } from '../lib/app-error.ts';
import type { Clock } from '../lib/time.ts';
import type { ProjectRow, ProjectsRepo } from '../db/repos/projects-repo.ts';
import type { TokenRow, TokensRepo } from '../db/repos/tokens-repo.ts';
import type { Principal, Role } from './access.ts';

export interface ProjectView { id: string; name: string; created_at: string }
export interface TokenView { id: string; name: string; role: Role; created_at: string; last_used_at: string | null; revoked_at: string | null }

const toProjectView = (row: ProjectRow): ProjectView => ({ id: row.id, name: row.name, created_at: row.created_at });
const toTokenView = (row: TokenRow): TokenView => ({
  id: row.id, name: row.name, role: row.role, created_at: row.created_at, last_used_at: row.last_used_at, revoked_at: row.revoked_at,
});

export function createProjectsService(deps: {
  projects: ProjectsRepo;
  tokens: TokensRepo;
  clock: Clock;
  /** After a token was revoked (authentication caches drop it and its live streams end, on every instance). */
  onTokenRevoked: (tokenId: string) => Promise<void>;
}) {
  return {
    async createProject(input: { name: string }): Promise<ProjectView> {
      const row: ProjectRow = { id: createId('prj'), name: input.name, created_at: deps.clock.now().toISOString() };
      await deps.projects.insert(row);
      return toProjectView(row);
    },

    async requireProject(id: string): Promise<ProjectView> {
      const row = await deps.projects.find(id);
      if (row === undefined) throw notFound('project');
      return toProjectView(row);
    },

    async listProjects(principal: Principal, page: PageRequest): Promise<Page<ProjectView>> {
      const rows = await deps.projects.list({
        ...(principal.kind === 'project_token' ? { onlyIds: [principal.projectId] } : {}),
        ...(principal.kind === 'user' && !principal.instanceAdmin ? { onlyIds: [...principal.roles.keys()] } : {}),
        ...(page.after !== undefined ? { after: page.after } : {}),
        limit: page.limit + 1,
      });
      return buildPage(rows, page.limit, (r) => r.id, toProjectView);
    },

    /** Creates a project token; its value is returned here once and only its hash is stored. */
    async createToken(projectId: string, input: { name: string; role: Role }): Promise<TokenView & { token: string }> {
      const token = createSecretToken('mmt');
      const row: TokenRow = {
        id: createId('tok'), project_id: projectId, name: input.name, role: input.role, token_hash: hashToken(token),
        created_at: deps.clock.now().toISOString(), last_used_at: null, revoked_at: null,
      };
      await deps.tokens.insert(row);
      return { ...toTokenView(row), token };
    },

    async listTokens(projectId: string, page: PageRequest): Promise<Page<TokenView>> {
      const rows = await deps.tokens.list(projectId, { ...(page.after !== undefined ? { after: page.after } : {}), limit: page.limit + 1 });
      return buildPage(rows, page.limit, (r) => r.id, toTokenView);
    },

    async revokeToken(projectId: string, tokenId: string): Promise<void> {
      const done = await deps.tokens.revoke(projectId, tokenId, deps.clock.now().toISOString());
      if (!done) throw notFound('token');
      await deps.onTokenRevoked(tokenId);
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
