/**
 * An expected failure with a stable, public code. The HTTP layer turns it into
 * `{"error": {"code", "message", "field"}}` with `status`; anything else that is thrown is a bug and becomes a masked 500.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** Response headers that go with it (e.g. `Retry-After` on a 429). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, field?: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.headers = headers;
  }
}

export function invalidField(field: string, message: string, code = 'invalid_request'): AppError {
  return new AppError(400, code, message, field);
}

export function notFound(what: string): AppError {
  return new AppError(404, 'not_found', `${what} was not found`);
}

export function forbidden(message = 'your token\'s role may not do this; an admin token of the project is needed'): AppError {
  return new AppError(403, 'forbidden', message);
}
