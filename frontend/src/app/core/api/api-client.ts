import { HttpClient, HttpErrorResponse, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { ProblemError, problemFromHttp } from './problem';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type QueryParams = Record<string, QueryValue>;

interface RequestOptions {
  params?: QueryParams;
  body?: unknown;
  signal?: AbortSignal;
}

/** Wrapped answers: `{"data": ...}` (CONTRACT-AUTH, every /api/v1 route). */
interface Envelope<T> {
  data: T;
}

function toHttpParams(params: QueryParams | undefined): HttpParams {
  let out = new HttpParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value)) {
      for (const v of value) out = out.append(key, String(v));
    } else {
      out = out.set(key, String(value));
    }
  }
  return out;
}

/** Resolves with the observable's single value; aborting the signal unsubscribes (the
 * request is cancelled) and rejects with an AbortError. */
function toPromise<T>(source: Observable<T>, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('aborted', 'AbortError'));
      return;
    }
    const sub = source.subscribe({
      next: resolve,
      error: (err: unknown) =>
        reject(err instanceof HttpErrorResponse ? new ProblemError(problemFromHttp(err)) : err),
    });
    signal?.addEventListener('abort', () => {
      sub.unsubscribe();
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}

/**
 * The one way the dashboard talks to the API: relative URLs on the same origin (the
 * session cookie goes along; Angular's XSRF support adds `X-CSRF-Token` to unsafe
 * methods, see app.config.ts), answers unwrapped from `{"data": ...}`, and every
 * failure a `ProblemError` carrying the API's problem detail.
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly http = inject(HttpClient);

  /** GET, answering the `data` member. */
  async get<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<T> {
    return (await this.getBody<Envelope<T>>(path, params, signal)).data;
  }

  /** GET, answering the whole body (Prometheus-shaped answers carry more than `data`). */
  getBody<T>(path: string, params?: QueryParams, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { params, signal });
  }

  async post<T>(path: string, body?: unknown, params?: QueryParams): Promise<T> {
    return this.unwrap(await this.request<Envelope<T> | null>('POST', path, { body: body ?? {}, params }));
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return this.unwrap(await this.request<Envelope<T> | null>('PUT', path, { body }));
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return this.unwrap(await this.request<Envelope<T> | null>('PATCH', path, { body }));
  }

  async delete(path: string, body?: unknown): Promise<void> {
    await this.request<unknown>('DELETE', path, { body });
  }

  private unwrap<T>(body: Envelope<T> | null): T {
    // 204 No Content answers null; the caller typed T as void then.
    return (body === null ? undefined : body.data) as T;
  }

  private request<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const source = this.http.request<T>(method, path, {
      body: options.body,
      params: toHttpParams(options.params),
      responseType: 'json',
    });
    return toPromise(source, options.signal);
  }
}
