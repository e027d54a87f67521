import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** The typed API client (types generated from the service's OpenAPI document by `npm run gen:api`). */
export const api = createClient<paths>({ baseUrl: '' });

let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** The session cookie goes by itself (same origin); changes carry the session's CSRF token. */
const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken !== undefined && !['GET', 'HEAD'].includes(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};
api.use(csrf);

export interface ApiError { code: string; message: string; field?: string }

/** The error of a failed answer in the API's one shape, or a generic one. */
export function errorOf(error: unknown): ApiError {
  if (typeof error === 'object' && error !== null && 'error' in error) {
    const inner = (error).error;
    if (typeof inner === 'object' && inner !== null && 'message' in inner) return inner as ApiError;
  }
  if (error instanceof Error) return { code: 'network', message: error.message };
  return { code: 'unknown', message: 'something went wrong' };
}

/** Throws the API's error so react-query and forms can show it; returns the data otherwise. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw new ApiFailure(errorOf(result.error), result.response.status);
  return result.data as T;
}

export class ApiFailure extends Error {
  readonly apiError: ApiError;
  readonly status: number;
  constructor(apiError: ApiError, status: number) {
    super(apiError.message);
    this.apiError = apiError;
    this.status = status;
  }
}

/** Field errors for a form: `{ [field]: message }` from an API error naming its field. */
export function fieldErrorsOf(error: unknown): { field?: string; message: string } {
  if (error instanceof ApiFailure) return { ...(error.apiError.field !== undefined ? { field: error.apiError.field.replace(/^\/?(body\.)?/, '').replace(/\//g, '.') } : {}), message: error.apiError.message };
  return { message: error instanceof Error ? error.message : 'something went wrong' };
}
