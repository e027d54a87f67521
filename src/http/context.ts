import type { FastifyRequest } from 'fastify';
import { authorizeProject, isInstanceAdmin, type Role } from '../services/access.ts';
import type { ProjectsService } from '../services/projects.ts';
import { principalOf } from './auth.ts';

/**
 * Checks that the request's token may act on the project with at least `role`, and that the project exists.
 * Order matters: another project's id answers 404 before any role check, so nothing is revealed.
 */
export async function guardProject(request: FastifyRequest, projects: ProjectsService, projectId: string, role: Role): Promise<void> {
  const principal = principalOf(request);
  authorizeProject(principal, projectId, role);
  if (isInstanceAdmin(principal)) await projects.requireProject(projectId);
}

/**
 * The same check as a route's `preValidation` hook: it runs before the body and query are validated, so a
 * request for another project answers 404, and a member's request for an admin action 403, whatever its body.
 */
export function projectGuard(projects: ProjectsService, role: Role): (request: FastifyRequest) => Promise<void> {
  return (request) => guardProject(request, projects, (request.params as { project_id: string }).project_id, role);
}
