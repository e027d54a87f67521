import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireInstanceAdmin } from '../../services/access.ts';
import type { UsersService } from '../../services/users.ts';
import { toPageRequest } from '../../lib/pagination.ts';
import { principalOf, setSessionCookie } from '../auth.ts';
import { projectGuard } from '../context.ts';
import type { ProjectsService } from '../../services/projects.ts';
import { authErrors, listOf, PageQuery, ProjectParams, Timestamp } from '../schemas.ts';

const RoleSchema = Type.Enum(['admin', 'member']);
const Email = Type.String({ minLength: 3, maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const User = Type.Object({
  id: Type.String(), email: Type.String(), name: Type.String(), instance_admin: Type.Boolean(), created_at: Timestamp,
  password_set: Type.Boolean({ description: 'False while an invitation is open' }), last_sign_in_at: Type.Union([Timestamp, Type.Null()]),
});
const PasswordLink = Type.Object({
  url: Type.String({ description: 'The console page where the person sets a password; pass it on to them' }),
  token: Type.String(), expires_at: Timestamp,
}, { description: 'A one-time link to set a password (shown only in this answer)' });
const Session = Type.Object({
  user: User,
  projects: Type.Array(Type.Object({ id: Type.String(), role: RoleSchema })),
  csrf_token: Type.String({ description: 'Send it as `X-CSRF-Token` on every request that changes something' }),
  expires_at: Timestamp,
});
const Member = Type.Object({
  user_id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema, password_set: Type.Boolean(),
  last_sign_in_at: Type.Union([Timestamp, Type.Null()]), added_at: Timestamp,
});
const MemberParams = Type.Object({ project_id: Type.String(), user_id: Type.String() });

/** Console sign-in, users (instance admin), project members (project admin), password links. */
export const userRoutes: FastifyPluginAsyncTypebox<{ users: UsersService; projects: ProjectsService; secureCookies: boolean }> = async (app, { users, projects, secureCookies }) => {
  app.get('/setup', {
    config: { public: true },
    schema: {
      tags: ['Users'], summary: 'Whether the console still needs its first admin (no token needed)',
      response: { 200: Type.Object({ first_admin_needed: Type.Boolean() }) },
    },
  }, async () => ({ first_admin_needed: await users.setupNeeded() }));

  app.post('/setup/first-admin', {
    schema: {
      tags: ['Users'], summary: 'Create the first console user, an instance admin (instance admin token; only while no user exists)',
      body: Type.Object({ email: Email, name: Type.Optional(Name), password: Password }, { additionalProperties: false }),
      response: { 201: User, ...authErrors, 409: Type.Ref('ErrorBody') },
    },
  }, async (request, reply) => {
    requireInstanceAdmin(principalOf(request));
    return reply.status(201).send(await users.createFirstAdmin(request.body));
  });

  app.post('/session', {
    config: { public: true },
    schema: {
      tags: ['Users'], summary: 'Sign in to the console: sets the HttpOnly session cookie',
      body: Type.Object({ email: Email, password: Password }, { additionalProperties: false }),
      response: { 200: Session, 401: Type.Ref('ErrorBody'), 429: Type.Ref('ErrorBody') },
    },
  }, async (request, reply) => {
    const { token, session } = await users.signIn(request.body.email, request.body.password);
    setSessionCookie(reply, token, secureCookies);
    reply.header('cache-control', 'no-store');
    return session;
  });

  app.get('/session', {
    schema: { tags: ['Users'], summary: 'The signed-in user, their projects and the CSRF token', response: { 200: Session, 401: Type.Ref('ErrorBody') } },
  }, async (request, reply) => {
    principalOf(request);
    if (request.sessionToken === undefined) {
      return reply.status(401).send({ error: { code: 'unauthorized', message: 'this answers for a console session, not an API token' } });
    }
    reply.header('cache-control', 'no-store');
    return users.describe(request.sessionToken);
  });

  app.delete('/session', {
    config: { public: true },
    schema: { tags: ['Users'], summary: 'Sign out', response: { 204: Type.Null() } },
  }, async (request, reply) => {
    if (request.sessionToken !== undefined) await users.signOut(request.sessionToken);
    setSessionCookie(reply, undefined, secureCookies);
    return reply.status(204).send(null);
  });

  app.put('/session/password', {
    schema: {
      tags: ['Users'], summary: 'Change your own password',
      body: Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false }),
      response: { 204: Type.Null(), 400: Type.Ref('ErrorBody'), ...authErrors },
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    if (principal.kind !== 'user') return reply.status(403).send({ error: { code: 'forbidden', message: 'only a signed-in user has a password' } });
    await users.changePassword(principal.userId, request.body.current_password, request.body.new_password);
    return reply.status(204).send(null);
  });

  app.post('/password', {
    config: { public: true },
    schema: {
      tags: ['Users'], summary: 'Set a password with a one-time invitation or reset link',
      body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false }),
      response: { 200: User, 400: Type.Ref('ErrorBody') },
    },
  }, async (request) => users.setPasswordWithLink(request.body.token, request.body.password));

  app.post('/users', {
    schema: {
      tags: ['Users'], summary: 'Create a console user (instance admin). Without a password the answer carries a link to set one.',
      body: Type.Object({ email: Email, name: Type.Optional(Name), password: Type.Optional(Password), instance_admin: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([User, Type.Object({ set_password: Type.Optional(PasswordLink) })]), ...authErrors, 409: Type.Ref('ErrorBody') },
    },
  }, async (request, reply) => {
    requireInstanceAdmin(principalOf(request));
    reply.header('cache-control', 'no-store');
    return reply.status(201).send(await users.createUser(request.body));
  });

  app.get('/users', {
    schema: { tags: ['Users'], summary: 'Console users (instance admin)', querystring: PageQuery, response: { 200: listOf(User), ...authErrors } },
  }, async (request) => {
    requireInstanceAdmin(principalOf(request));
    return users.listUsers(toPageRequest(request.query));
  });

  app.post('/users/:user_id/password-reset', {
    schema: {
      tags: ['Users'], summary: 'Reset a user\'s password (instance admin): ends their sessions and answers a one-time link (24 h)',
      params: Type.Object({ user_id: Type.String() }), response: { 201: PasswordLink, ...authErrors },
    },
  }, async (request, reply) => {
    requireInstanceAdmin(principalOf(request));
    reply.header('cache-control', 'no-store');
    return reply.status(201).send(await users.resetPassword(request.params.user_id));
  });

  app.get('/projects/:project_id/members', {
    preValidation: projectGuard(projects, 'member'),
    schema: { tags: ['Users'], summary: 'People in the project and their roles', params: ProjectParams, querystring: PageQuery, response: { 200: listOf(Member), ...authErrors } },
  }, async (request) => users.listMembers(request.params.project_id, toPageRequest(request.query)));

  app.post('/projects/:project_id/members', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: ['Users'], summary: 'Invite a person to the project as admin or member (project admin). A new user gets a one-time link to set a password.',
      params: ProjectParams, body: Type.Object({ email: Email, name: Type.Optional(Name), role: RoleSchema }, { additionalProperties: false }),
      response: { 201: Type.Intersect([Member, Type.Object({ set_password: Type.Optional(PasswordLink) })]), ...authErrors },
    },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return reply.status(201).send(await users.invite(request.params.project_id, request.body));
  });

  app.patch('/projects/:project_id/members/:user_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: {
      tags: ['Users'], summary: 'Change a member\'s role (project admin)', params: MemberParams,
      body: Type.Object({ role: RoleSchema }, { additionalProperties: false }), response: { 204: Type.Null(), ...authErrors, 409: Type.Ref('ErrorBody') },
    },
  }, async (request, reply) => {
    await users.setRole(request.params.project_id, request.params.user_id, request.body.role);
    return reply.status(204).send(null);
  });

  app.delete('/projects/:project_id/members/:user_id', {
    preValidation: projectGuard(projects, 'admin'),
    schema: { tags: ['Users'], summary: 'Remove a person from the project (project admin)', params: MemberParams, response: { 204: Type.Null(), ...authErrors, 409: Type.Ref('ErrorBody') } },
  }, async (request, reply) => {
    await users.removeMember(request.params.project_id, request.params.user_id);
    return reply.status(204).send(null);
  });
};
