import { Agent, request, type Dispatcher } from 'undici';

/**
 * One keep-alive connection pool for every call to Sinch (and to the emulator). Every region is one origin, so its
 * pool has room for all the sends in flight (`concurrency`) and the other calls beside them: a request never
 * queues behind another integration's hung ones.
 */
export function createSinchDispatcher(concurrency: number): Agent {
  return new Agent({ keepAliveTimeout: 30_000, connections: concurrency + 32, connect: { timeout: 10_000 } });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body was JSON, else undefined. */
  json: unknown;
  text: string;
}

export type HttpOutcome = { ok: true; answer: HttpAnswer } | { ok: false; network: string };

/** Makes one HTTP call; network failures and timeouts are values, never throws. */
export async function callHttp(
  dispatcher: Dispatcher,
  url: string,
  init: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; headers: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<HttpOutcome> {
  try {
    const res = await request(url, {
      dispatcher,
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      headersTimeout: init.timeoutMs ?? 15_000,
      bodyTimeout: init.timeoutMs ?? 15_000,
    });
    const text = await res.body.text();
    let json: unknown;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { ok: true, answer: { status: res.statusCode, headers: res.headers, json, text } };
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'UNKNOWN';
    return { ok: false, network: code };
  }
}

export function basicAuth(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

export function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}
