import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, problemBody } from '../../../testing/setup';
import { ApiClient } from './api-client';
import { ProblemError, describeProblem } from './problem';

describe('ApiClient', () => {
  let api: ApiClient;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    api = TestBed.inject(ApiClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    document.cookie = 'oe_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
    http.verify();
  });

  it('unwraps data and sends repeated and empty-free query parameters', async () => {
    const answer = api.get<number[]>('/api/v1/incidents', { status: ['triggered', 'acknowledged'], limit: 5, q: '', x: null });
    const req = http.expectOne((r) => r.url === '/api/v1/incidents');
    expect(req.request.params.getAll('status')).toEqual(['triggered', 'acknowledged']);
    expect(req.request.params.get('limit')).toBe('5');
    expect(req.request.params.has('q')).toBe(false);
    expect(req.request.params.has('x')).toBe(false);
    req.flush({ data: [1, 2] });
    expect(await answer).toEqual([1, 2]);
  });

  it('rejects with the API problem, field and all', async () => {
    const answer = api.post('/api/v1/rules', { name: 'x' });
    http.expectOne('/api/v1/rules').flush(
      problemBody(422, 'a threshold rule needs a numeric threshold', { title: 'Invalid request', field: 'threshold' }),
      { status: 422, statusText: 'Unprocessable Entity', headers: { 'Content-Type': 'application/problem+json' } },
    );
    const err = await answer.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProblemError);
    const problem = (err as ProblemError).problem;
    expect(problem.status).toBe(422);
    expect(problem.field).toBe('threshold');
    expect(describeProblem(problem)).toBe('a threshold rule needs a numeric threshold (threshold)');
  });

  it('reads Retry-After into the problem', async () => {
    const answer = api.post('/api/v1/auth/login', {});
    http.expectOne('/api/v1/auth/login').flush(problemBody(429, 'locked out', { limit: 'login_failures' }), {
      status: 429, statusText: 'Too Many Requests', headers: { 'Retry-After': '30' },
    });
    const problem = ((await answer.catch((e: unknown) => e)) as ProblemError).problem;
    expect(problem.retry_after_s).toBe(30);
    expect(problem.limit).toBe('login_failures');
  });

  it('turns a network failure into a problem that says so', async () => {
    const answer = api.get('/api/v1/alerts');
    http.expectOne('/api/v1/alerts').error(new ProgressEvent('error'), { status: 0, statusText: '' });
    const problem = ((await answer.catch((e: unknown) => e)) as ProblemError).problem;
    expect(problem.title).toBe('Server unreachable');
    expect(problem.detail).toContain('not carried out');
  });

  it('echoes the CSRF cookie on unsafe requests only', async () => {
    document.cookie = 'oe_csrf=token-123; path=/';
    const post = api.post('/api/v1/incidents/i-1/acknowledge');
    const postReq = http.expectOne('/api/v1/incidents/i-1/acknowledge');
    expect(postReq.request.headers.get('X-CSRF-Token')).toBe('token-123');
    postReq.flush({ data: { id: 'i-1' } });
    await post;
    const get = api.get('/api/v1/incidents');
    const getReq = http.expectOne('/api/v1/incidents');
    expect(getReq.request.headers.has('X-CSRF-Token')).toBe(false);
    getReq.flush({ data: [] });
    await get;
  });

  it('answers undefined for 204', async () => {
    const answer = api.delete('/api/v1/rules/r-1');
    http.expectOne('/api/v1/rules/r-1').flush(null, { status: 204, statusText: 'No Content' });
    expect(await answer).toBeUndefined();
  });

  it('cancels the request when aborted', async () => {
    const abort = new AbortController();
    const answer = api.get('/api/v1/series', undefined, abort.signal);
    const req = http.expectOne('/api/v1/series');
    abort.abort();
    expect(req.cancelled).toBe(true);
    await expect(answer).rejects.toMatchObject({ name: 'AbortError' });
  });
});
