import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireInstanceAdmin } from '../../services/access.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { toPageRequest } from '../../lib/pagination.ts';
import { principalOf } from '../auth.ts';
import { projectGuard } from '../context.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const Project = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });
const RoleSchema = Type.Enum(['admin', 'member']);
const TokenInfo = Type.Object({
  id: Type.String(), name: Type.String(), role: RoleSchema, created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()]), revoked_at: Type.Union([Timestamp, Type.Null()]),
});
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const projectRoutes: FastifyPluginAsyncTypebox<{ projects: ProjectsService }> = async (app, { projects }) => {
  app.post('/projects', {
    schema: {
      tags: ['Projects'], summary: 'Create a project (instance admin only)',
      body: Type.Object({ name: Name }), response: { 201: Project, ...authErrors },
    },
  }, async (request, reply) => {
    requireInstanceAdmin(principalOf(request));
    return reply.status(201).send(await projects.createProject(request.body));
  });

  app.get('/projects', {
    schema: { tags: ['Projects'], summary: 'Projects this token can see', querystring: PageQuery, response: { 200: listOf(Project), ...authErrors } },
  }, async (request) => projects.listProjects(principalOf(request), toPageRequest(request.query)));

  app.get('/projects/:project_id', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: ['Projects'], summary: 'One project', params: ProjectParams, response: { 200: Project, ...authErrors } },
  }, async (request) => {
    return projects.requireProject(request.params.project_id);
  });

  app.post('/projects/:project_id/tokens', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: ['Projects'], summary: 'Create a project API token (project admin). The token value is shown only in this response.',
      params: ProjectParams, body: Type.Object({ name: Name, role: RoleSchema }),
      response: { 201: Type.Intersect([TokenInfo, Type.Object({ token: Type.String() })]), ...authErrors },
    },
  }, async (request, reply) => {
    return reply.status(201).send(await projects.createToken(request.params.project_id, request.body));
  });

  app.get('/projects/:project_id/tokens', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags: ['Projects'], summary: 'List the project\'s tokens (never their values)', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(TokenInfo), ...authErrors } },
  }, async (request) => {
    return projects.listTokens(request.params.project_id, toPageRequest(request.query));
  });

  app.delete('/projects/:project_id/tokens/:token_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: ['Projects'], summary: 'Revoke a token', params: Type.Object({ project_id: Type.String(), token_id: Type.String() }),
      response: { 204: Type.Null(), ...authErrors },
    },
  }, async (request, reply) => {
    await projects.revokeToken(request.params.project_id, request.params.token_id);
    return reply.status(204).send(null);
  });
};
