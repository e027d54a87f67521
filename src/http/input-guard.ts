import type { FastifyInstance } from 'fastify';
import { invalidField } from '../lib/app-error.ts';
import { fieldPath, findJsonProblem, type JsonProblem } from '../lib/json-input.ts';

/** JSON bodies nest at most this deep (the deepest AppMessage or segment filter needs well under half). */
export const maxBodyDepth = 32;

function refuse(problem: JsonProblem, prefix: ReadonlyArray<string | number>): never {
  const path = [...prefix, ...problem.path];
  const field = fieldPath(path);
  const where = field === '' ? 'the request body' : field;
  switch (problem.kind) {
    case 'nul': throw invalidField(field, `${where} must not contain the NUL character (U+0000)`);
    case 'nul_key': throw invalidField(field, `the names of the fields in ${where} must not contain the NUL character (U+0000)`);
    case 'not_finite': throw invalidField(field, `${where} must be a finite number`);
    case 'too_deep': throw invalidField(field, `${where} nests deeper than ${maxBodyDepth} levels`);
  }
}

function check(value: unknown, prefix: ReadonlyArray<string | number>, maxDepth: number): void {
  const problem = findJsonProblem(value, maxDepth);
  if (problem !== undefined) refuse(problem, prefix);
}

/**
 * Rules every API request obeys whatever its route's schema says, checked in one place: no NUL in any text (path,
 * query or body), no number that is not finite, JSON nested at most `maxBodyDepth` levels. Each is a 400 naming
 * the field. Path parameters are checked before the route's own hooks (which look them up); the query and the body
 * after validation (coerced), so a request for another project still answers 404 and a member's admin action 403.
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    check(request.params, [], 1);
  });
  app.addHook('preHandler', async (request) => {
    check(request.query, [], 2);
    check(request.body, [], maxBodyDepth);
  });
}
