/** google.rpc-style error bodies (doc §2.5) and the emulator's own encapsulated error handling. */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { FieldViolation } from './validate-send.ts';

const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export type RpcError = {
  httpStatus: number;
  message: string;
  details?: unknown[];
  headers?: Record<string, string>;
};

export function rpcStatusName(httpStatus: number): string {
  return RPC_STATUS[httpStatus] ?? (httpStatus >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
}

export function buildRpcErrorBody(error: RpcError): { error: { code: number; message: string; status: string; details: unknown[] } } {
  return { error: { code: error.httpStatus, message: error.message, status: rpcStatusName(error.httpStatus), details: error.details ?? [] } };
}

export function badRequest(violations: FieldViolation[], message = 'Invalid argument'): RpcError {
  return {
    httpStatus: 400,
    message: violations.length > 0 ? `${message}: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}` : message,
    details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: violations }],
  };
}

export function notFound(message: string): RpcError {
  return { httpStatus: 404, message };
}

export function sendRpcError(reply: FastifyReply, error: RpcError): FastifyReply {
  if (error.headers !== undefined) void reply.headers(error.headers);
  return reply.code(error.httpStatus).type('application/json').send(buildRpcErrorBody(error));
}

type SchemaIssue = { instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> };

/** `/message/choices/3/text` → `message.choices[3].text`. */
function pointerToField(pointer: string, prefix: string): string {
  const parts = pointer.split('/').filter((p) => p !== '').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  let out = prefix;
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : (out === '' ? part : `.${part}`);
  return out;
}

function joinField(base: string, name: string): string {
  return base === '' ? name : `${base}.${name}`;
}

export function schemaIssuesToViolations(issues: readonly SchemaIssue[], context: string | undefined): FieldViolation[] {
  const prefix = context === undefined || context === 'body' ? '' : `${context}.`;
  const out: FieldViolation[] = [];
  for (const issue of issues) {
    const base = pointerToField(issue.instancePath ?? '', '');
    const params = issue.params ?? {};
    if (issue.keyword === 'required' && Array.isArray(params.requiredProperties)) {
      for (const name of params.requiredProperties as unknown[]) out.push({ field: prefix + joinField(base, String(name)), description: 'is required' });
    } else if (issue.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
      for (const name of params.additionalProperties as unknown[]) out.push({ field: prefix + joinField(base, String(name)), description: 'unknown field' });
    } else {
      out.push({ field: prefix + base, description: issue.message ?? 'is invalid' });
    }
  }
  // Unions report one issue per branch; keep each field/description pair once.
  const seen = new Set<string>();
  return out.filter((v) => { const k = `${v.field}\u0000${v.description}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

/** Error handler and 404 handler for the emulator's encapsulated context: every error is a google.rpc body. */
export function registerRpcErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (Array.isArray(error.validation)) {
      return sendRpcError(reply, badRequest(schemaIssuesToViolations(error.validation, error.validationContext)));
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'emulator internal error');
      return sendRpcError(reply, { httpStatus: 500, message: 'Internal error' });
    }
    return sendRpcError(reply, { httpStatus: status, message: error.message });
  });
  app.setNotFoundHandler((request, reply) => sendRpcError(reply, notFound(`No route ${request.method} ${request.url}`)));
}
