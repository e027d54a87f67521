import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../lib/app-error.ts';

export interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/senders/whatsapp` + missing `x` → `senders.whatsapp.x`. */
export function fieldOf(issue: AjvIssue): string {
  const parts = issue.instancePath.split('/').filter(Boolean);
  if (issue.keyword === 'required' && typeof issue.params.missingProperty === 'string') parts.push(issue.params.missingProperty);
  if (issue.keyword === 'additionalProperties' && typeof issue.params.additionalProperty === 'string') parts.push(issue.params.additionalProperty);
  return parts.join('.');
}

export function messageOf(issue: AjvIssue, field: string, context: string): string {
  const where = field === '' ? (context === 'body' ? 'the request body' : context) : field;
  switch (issue.keyword) {
    case 'required': return `${where} is required`;
    case 'additionalProperties': return `${where} is not a known field`;
    case 'enum': return `${where} must be one of ${(issue.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'minLength': return issue.params.limit === 1 ? `${where} must not be empty` : `${where} must be at least ${String(issue.params.limit)} characters`;
    case 'maxLength': return `${where} must be at most ${String(issue.params.limit)} characters`;
    case 'type': return `${where} must be of type ${String(issue.params.type)}`;
    case 'maxItems': return `${where} must have at most ${String(issue.params.limit)} items`;
    case 'minItems': return `${where} must have at least ${String(issue.params.limit)} item${issue.params.limit === 1 ? '' : 's'}`;
    case 'maximum': return `${where} must be at most ${String(issue.params.limit)}`;
    case 'minimum': return `${where} must be at least ${String(issue.params.limit)}`;
    case 'pattern': return `${where} must match the pattern ${String(issue.params.pattern)}`;
    case 'format': return `${where} must be a valid ${String(issue.params.format)}`;
    default: return `${where} ${issue.message ?? 'is invalid'}`;
  }
}

const clientErrorCodes: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
};

/**
 * One error shape everywhere: `{"error": {"code", "message", "field"}}`. Expected failures keep their code;
 * anything unexpected is logged and answered with a 500 that reveals nothing about the cause.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      if (Object.keys(error.headers).length > 0) void reply.headers(error.headers);
      return reply.status(error.status).send({ error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) } });
    }
    if (error.validation !== undefined && error.validation.length > 0) {
      const issue = error.validation[0] as unknown as AjvIssue;
      const field = fieldOf(issue);
      const context = error.validationContext ?? 'body';
      return reply.status(400).send({
        error: { code: 'invalid_request', message: messageOf(issue, field, context), ...(field !== '' ? { field } : {}) },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = clientErrorCodes[error.code] ?? (status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_request');
      const message = code === 'invalid_json' ? 'the request body is not valid JSON'
        : code === 'payload_too_large' ? 'the request body is too large'
          : code === 'unsupported_media_type' ? 'send the request body as application/json' : error.message;
      return reply.status(status).send({ error: { code, message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side. It has been logged; please try again.' } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}` } }));
}
