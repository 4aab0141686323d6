import { HttpErrorResponse } from '@angular/common/http';

/** One entry of a problem's `errors` list (every problem of a rejected request). */
export interface ProblemItem {
  field: string | null;
  message: string;
}

/** An RFC 9457 problem as the API sends it (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  field?: string | null;
  limit?: string | null;
  errors?: ProblemItem[];
  /** Sign-in: a TOTP code is needed (CONTRACT-AUTH: 401 with `mfa_required`). */
  mfa_required?: boolean;
  /** From the `Retry-After` header, when the answer had one (429). */
  retry_after_s?: number;
}

/** The error every API call rejects with: the problem the API answered, or one made
 * up for what never reached it (network down, not JSON). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ProblemError';
  }

  get status(): number {
    return this.problem.status;
  }
}

function isProblemBody(body: unknown): body is Partial<Problem> {
  return typeof body === 'object' && body !== null && ('title' in body || 'detail' in body);
}

/** The problem behind an HttpClient failure. */
export function problemFromHttp(err: HttpErrorResponse): Problem {
  if (err.status === 0) {
    return {
      type: 'about:blank',
      title: 'Server unreachable',
      status: 0,
      detail: 'The Observer-Eye API could not be reached. Check your connection; the action was not carried out.',
    };
  }
  const retry = Number(err.headers?.get('Retry-After'));
  const extra = Number.isFinite(retry) && retry > 0 ? { retry_after_s: retry } : {};
  if (isProblemBody(err.error)) {
    return {
      type: err.error.type ?? 'about:blank',
      title: err.error.title ?? err.statusText,
      status: err.error.status ?? err.status,
      detail: err.error.detail ?? err.error.title ?? err.statusText,
      ...err.error,
      ...extra,
    };
  }
  const text = typeof err.error === 'string' && err.error.length < 300 ? err.error : '';
  return {
    type: 'about:blank',
    title: err.statusText || `HTTP ${err.status}`,
    status: err.status,
    detail: text || `The API answered ${err.status} ${err.statusText}`.trim(),
    ...extra,
  };
}

/** Any thrown value as a problem (for showing it). */
export function toProblem(err: unknown): Problem {
  if (err instanceof ProblemError) return err.problem;
  if (err instanceof HttpErrorResponse) return problemFromHttp(err);
  const message = err instanceof Error ? err.message : String(err);
  return { type: 'about:blank', title: 'Error', status: 0, detail: message };
}

/** One line for a toast or an inline error: the detail, with the field it names. */
export function describeProblem(p: Problem): string {
  const where = p.field ? ` (${p.field})` : '';
  return `${p.detail || p.title}${where}`;
}
