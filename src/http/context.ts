import type { FastifyRequest } from 'fastify';
import { authorizeProject, type Role } from '../services/access.ts';
import type { ProjectsService } from '../services/projects.ts';
import { principalOf } from './auth.ts';

/**
 * Checks that the request's token may act on the project with at least `role`, and that the project exists.
 * Order matters: another project's id answers 404 before any role check, so nothing is revealed.
 */
export async function guardProject(request: FastifyRequest, projects: ProjectsService, projectId: string, role: Role): Promise<void> {
  const principal = principalOf(request);
  authorizeProject(principal, projectId, role);
  if (principal.kind === 'instance_admin') await projects.requireProject(projectId);
}
