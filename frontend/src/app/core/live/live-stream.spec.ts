import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { appTestProviders, makeMe, problemBody, signIn } from '../../../testing/setup';
import { BACKOFF_MAX_MS, LiveStream, PROTOCOL, SOCKET_FACTORY, backoffMs, streamUrl } from './live-stream';
import { AlertEvent } from './messages';

/** A WebSocket the test drives: it records what the client sends and lets the test
 * deliver server messages and closes. */
class ScriptedSocket {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  constructor(readonly url: string, readonly protocols: string[]) {}
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
  }
  server(message: Record<string, unknown>): void {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('LiveStream', () => {
  let sockets: ScriptedSocket[];
  let http: HttpTestingController;
  let live: LiveStream;

  const hello = { type: 'hello', tenant: 'default', feeds: ['alerts', 'incidents', 'series'], limits: {} };

  async function ticket(value = 't-1'): Promise<void> {
    http.expectOne('/api/v1/stream/tickets').flush({ data: { ticket: value, expires_at_ms: 0 } });
    await microtasks();
  }

  beforeEach(async () => {
    sockets = [];
    TestBed.configureTestingModule({
      providers: [
        ...appTestProviders(),
        { provide: SOCKET_FACTORY, useValue: (url: string, p: string[]) => {
          const s = new ScriptedSocket(url, p);
          sockets.push(s);
          return s as unknown as WebSocket;
        } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    await signIn(makeMe('responder'));
    live = TestBed.inject(LiveStream);
  });

  afterEach(() => {
    live.stop();
    vi.useRealTimers();
  });

  it('connects with a single-use ticket, never a credential, and offers the protocol', async () => {
    live.start();
    expect(live.status()).toBe('connecting');
    await ticket('abc/def');
    expect(sockets.length).toBe(1);
    expect(sockets[0].url).toMatch(/^ws:\/\/[^/]+\/api\/v1\/stream\?ticket=abc%2Fdef$/);
    expect(sockets[0].protocols).toEqual([PROTOCOL]);
    sockets[0].server(hello);
    expect(live.status()).toBe('open');
    expect(live.stale()).toBe(false);
  });

  it('subscribes to the union of what pages watch, and unsubscribes what nobody watches', async () => {
    const releaseA = live.watchSeries(['cpu{host="a"}', 'mem']);
    live.watchSeries(['mem']);
    live.watchIncidents();
    live.start();
    await ticket();
    const s = sockets[0];
    s.server(hello);
    expect(s.sent[0]).toEqual({ op: 'subscribe', series: ['cpu{host="a"}', 'mem'], alerts: false, incidents: true });
    live.watchAlerts();
    expect(s.sent[1]).toEqual({ op: 'subscribe', alerts: true });
    releaseA();
    expect(s.sent[2]).toEqual({ op: 'unsubscribe', series: ['cpu{host="a"}'] });
    releaseA(); // releasing twice changes nothing
    expect(s.sent.length).toBe(3);
  });

  it('delivers samples, alerts (once each) and incidents', async () => {
    const samples: unknown[] = [];
    const alerts: AlertEvent[] = [];
    const incidents: unknown[] = [];
    live.samples$.subscribe((b) => samples.push(...b));
    live.alerts$.subscribe((a) => alerts.push(a));
    live.incidents$.subscribe((i) => incidents.push(i));
    live.start();
    await ticket();
    const s = sockets[0];
    s.server(hello);
    s.server({ type: 'samples', series: [{ id: '1', name: 'cpu', labels: {}, t: 1, v: 0.5 }] });
    const alert = { type: 'alert', fingerprint: 'f', rule_id: 'r', from: 'pending', to: 'firing', at_ms: 5, labels: {}, value: 1, annotations: {} };
    s.server(alert);
    s.server(alert);
    s.server({ type: 'incident', change: 'opened', incident: { id: 'i', version: 1 } });
    expect(samples.length).toBe(1);
    expect(alerts.length).toBe(1);
    expect(incidents.length).toBe(1);
  });

  it('asks pages to resync once a subscription took effect, and after an overflow', async () => {
    let resyncs = 0;
    live.resync$.subscribe(() => resyncs++);
    live.watchIncidents();
    live.start();
    await ticket();
    const s = sockets[0];
    s.server(hello);
    s.server({ type: 'subscribed', series: [], alerts: false, incidents: true });
    expect(resyncs).toBe(1);
    s.server({ type: 'pong' });
    s.server({ type: 'overflow', dropped_series_updates: 0, dropped_events: 3 });
    expect(resyncs).toBe(2);
  });

  it('shows stale data and reconnects with backoff after a drop, resubscribing and resyncing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let resyncs = 0;
    live.resync$.subscribe(() => resyncs++);
    live.watchSeries(['cpu']);
    live.start();
    await ticket();
    sockets[0].server(hello);
    sockets[0].drop(1011, 'pub/sub failed');
    expect(live.status()).toBe('down');
    expect(live.stale()).toBe(true);
    expect(live.lastError()).toContain('pub/sub failed');
    await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    await ticket('t-2');
    expect(sockets.length).toBe(2);
    sockets[1].server(hello);
    expect(sockets[1].sent[0]).toMatchObject({ op: 'subscribe', series: ['cpu'] });
    sockets[1].server({ type: 'subscribed', series: ['cpu'], alerts: false, incidents: false });
    expect(resyncs).toBe(1);
    expect(live.stale()).toBe(false);
  });

  it('retries the ticket with backoff when the API is unreachable', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    live.start();
    http.expectOne('/api/v1/stream/tickets').flush(problemBody(503, 'down'), { status: 503, statusText: 'Unavailable' });
    await vi.advanceTimersByTimeAsync(0);
    expect(live.stale()).toBe(true);
    expect(sockets.length).toBe(0);
    await vi.advanceTimersByTimeAsync(BACKOFF_MAX_MS);
    http.expectOne('/api/v1/stream/tickets');
  });

  it('stops and signs out when the ticket is refused with 401', async () => {
    live.start();
    http.expectOne('/api/v1/stream/tickets').flush(problemBody(401, 'session ended'), { status: 401, statusText: 'Unauthorized' });
    await microtasks();
    expect(live.status()).toBe('idle');
  });

  it('closes a connection that stopped answering pings', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    live.start();
    await ticket();
    const s = sockets[0];
    s.server(hello);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(s.sent.some((m) => m['op'] === 'ping')).toBe(true);
    await vi.advanceTimersByTimeAsync(40_000);
    expect(live.status()).toBe('down');
  });
});

describe('backoffMs', () => {
  it('doubles up to the cap, with at most half of it as jitter', () => {
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(3, () => 1)).toBe(4000);
    expect(backoffMs(30, () => 1)).toBe(BACKOFF_MAX_MS);
  });
});

describe('streamUrl', () => {
  it('uses wss on https pages', () => {
    expect(streamUrl({ protocol: 'https:', host: 'oe.example:8443' }, 'x')).toBe('wss://oe.example:8443/api/v1/stream?ticket=x');
  });
});
