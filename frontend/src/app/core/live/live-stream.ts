import { DestroyRef, Injectable, InjectionToken, computed, inject, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';
import { ApiClient } from '../api/api-client';
import { ProblemError } from '../api/problem';
import { Session } from '../auth/session';
import { AlertEvent, IncidentEvent, LiveSample, ServerMessage } from './messages';

export type LiveStatus = 'idle' | 'connecting' | 'open' | 'down';

/** What opens a WebSocket; tests hand in a scripted one. */
export type SocketFactory = (url: string, protocols: string[]) => WebSocket;
export const SOCKET_FACTORY = new InjectionToken<SocketFactory>('SOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (url, protocols) => new WebSocket(url, protocols),
});

export const PROTOCOL = 'observer-eye.v1';
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
export const PING_EVERY_MS = 20_000;
/** No message at all (not even a pong) for this long: the connection is dead. */
export const SILENCE_LIMIT_MS = 45_000;
const RECENT_ALERT_KEYS = 2_000;
const SOCKET_OPEN = 1; // WebSocket.OPEN

/** The reconnect delay after `attempt` failures: doubling, capped, with jitter so a
 * restarted server is not hit by every browser at the same instant. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  return Math.round(base * (0.5 + random() / 2));
}

export function streamUrl(location: Pick<Location, 'protocol' | 'host'>, ticket: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/stream?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * The WebSocket `/api/v1/stream` (docs/streaming.md) shared by every page.
 *
 * Pages declare what they watch (`watchSeries`, `watchAlerts`, `watchIncidents`, each
 * answering a release function, or released with the caller's DestroyRef); the service
 * keeps one connection with the union of those subscriptions. It signs in with a
 * single-use ticket from `POST /api/v1/stream/tickets` (CONTRACT-AUTH: a browser cannot
 * set headers on a WebSocket, and no credential goes into a URL), reconnects with
 * jittered exponential backoff, and pings to notice a dead connection.
 *
 * The server only sends what is published after a subscription, so nothing replays a
 * gap: `resync$` fires whenever one may have happened (a subscription took effect after
 * a (re)connect or a change, or the server reported an overflow). Pages refetch over
 * REST then and merge by timestamp or version, which gives no gaps and no duplicates.
 */
@Injectable({ providedIn: 'root' })
export class LiveStream {
  private readonly api = inject(ApiClient);
  private readonly session = inject(Session);
  private readonly openSocket = inject(SOCKET_FACTORY);

  readonly status = signal<LiveStatus>('idle');
  /** The data on screen may be out of date: the stream is not delivering. */
  readonly stale = computed(() => this.status() === 'down' || this.retrying());
  readonly lastError = signal<string | null>(null);
  /** Since the last failed attempt, until a connection opens. */
  private readonly retrying = signal(false);

  private readonly samples = new Subject<LiveSample[]>();
  private readonly alerts = new Subject<AlertEvent>();
  private readonly incidents = new Subject<IncidentEvent>();
  private readonly resyncs = new Subject<void>();
  readonly samples$: Observable<LiveSample[]> = this.samples.asObservable();
  readonly alerts$: Observable<AlertEvent> = this.alerts.asObservable();
  readonly incidents$: Observable<IncidentEvent> = this.incidents.asObservable();
  readonly resync$: Observable<void> = this.resyncs.asObservable();

  private readonly selectors = new Map<string, number>();
  private alertWatchers = 0;
  private incidentWatchers = 0;
  private socket: WebSocket | null = null;
  private wanted = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private resyncOnSubscribed = false;
  private readonly recentAlerts = new Set<string>();

  /** Connect (idempotent); stays connected, reconnecting, until `stop()`. */
  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    this.attempt = 0;
    void this.connect();
  }

  stop(): void {
    this.wanted = false;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'signed out');
    this.status.set('idle');
    this.retrying.set(false);
  }

  watchSeries(selectors: readonly string[], destroyRef?: DestroyRef): () => void {
    const added = selectors.filter((s) => {
      const n = this.selectors.get(s) ?? 0;
      this.selectors.set(s, n + 1);
      return n === 0;
    });
    if (added.length) this.send({ op: 'subscribe', series: added });
    return this.releaser(destroyRef, () => {
      const removed = selectors.filter((s) => {
        const n = (this.selectors.get(s) ?? 1) - 1;
        if (n <= 0) this.selectors.delete(s);
        else this.selectors.set(s, n);
        return n <= 0;
      });
      if (removed.length) this.send({ op: 'unsubscribe', series: removed });
    });
  }

  watchAlerts(destroyRef?: DestroyRef): () => void {
    if (this.alertWatchers++ === 0) this.send({ op: 'subscribe', alerts: true });
    return this.releaser(destroyRef, () => {
      if (--this.alertWatchers === 0) this.send({ op: 'unsubscribe', alerts: true });
    });
  }

  watchIncidents(destroyRef?: DestroyRef): () => void {
    if (this.incidentWatchers++ === 0) this.send({ op: 'subscribe', incidents: true });
    return this.releaser(destroyRef, () => {
      if (--this.incidentWatchers === 0) this.send({ op: 'unsubscribe', incidents: true });
    });
  }

  private releaser(destroyRef: DestroyRef | undefined, release: () => void): () => void {
    let done = false;
    const once = () => {
      if (!done) {
        done = true;
        release();
      }
    };
    destroyRef?.onDestroy(once);
    return once;
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === SOCKET_OPEN && this.status() === 'open') {
      if (message['op'] === 'subscribe') this.resyncOnSubscribed = true;
      this.socket.send(JSON.stringify(message));
    }
    // Not open: the whole subscription is sent on the next `hello`.
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = null;
    if (!this.wanted) return;
    this.status.set('connecting');
    let ticket: string;
    try {
      ticket = (await this.api.post<{ ticket: string; expires_at_ms: number }>('/api/v1/stream/tickets')).ticket;
    } catch (err) {
      if (err instanceof ProblemError && err.status === 401) {
        this.session.expired();
        this.stop();
        return;
      }
      this.lastError.set(err instanceof Error ? err.message : String(err));
      this.scheduleReconnect();
      return;
    }
    if (!this.wanted) return;
    const socket = this.openSocket(streamUrl(window.location, ticket), [PROTOCOL]);
    this.socket = socket;
    socket.onmessage = (ev: MessageEvent) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onclose = (ev: CloseEvent) => {
      if (this.socket === socket) this.closed(ev.code, ev.reason);
    };
  }

  private receive(data: unknown): void {
    this.lastMessageAt = Date.now();
    let message: ServerMessage;
    try {
      message = JSON.parse(String(data)) as ServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'hello':
        this.opened();
        break;
      case 'subscribed':
        if (this.resyncOnSubscribed) {
          this.resyncOnSubscribed = false;
          this.resyncs.next();
        }
        break;
      case 'samples':
        this.samples.next(message.series);
        break;
      case 'alert':
        this.alert(message);
        break;
      case 'incident':
        this.incidents.next(message);
        break;
      case 'overflow':
        this.resyncs.next();
        break;
      case 'error':
        this.lastError.set(message.field ? `${message.message} (${message.field})` : message.message);
        break;
    }
  }

  private opened(): void {
    this.attempt = 0;
    this.retrying.set(false);
    this.lastError.set(null);
    this.status.set('open');
    this.resyncOnSubscribed = false;
    this.send({
      op: 'subscribe',
      series: [...this.selectors.keys()],
      alerts: this.alertWatchers > 0,
      incidents: this.incidentWatchers > 0,
    });
    this.clearPing();
    this.pingTimer = setInterval(() => this.heartbeat(), PING_EVERY_MS);
  }

  private heartbeat(): void {
    if (Date.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
      this.socket?.close(4000, 'no answer to pings');
      this.closed(4000, 'no answer to pings');
      return;
    }
    this.socket?.send(JSON.stringify({ op: 'ping' }));
  }

  private alert(event: AlertEvent): void {
    const key = `${event.fingerprint}|${event.to}|${event.at_ms}`;
    if (this.recentAlerts.has(key)) return;
    this.recentAlerts.add(key);
    if (this.recentAlerts.size > RECENT_ALERT_KEYS) {
      this.recentAlerts.delete(this.recentAlerts.values().next().value as string);
    }
    this.alerts.next(event);
  }

  private closed(code: number, reason: string): void {
    this.socket = null;
    this.clearPing();
    if (!this.wanted) return;
    if (reason) this.lastError.set(`${reason} (${code})`);
    this.status.set('down');
    if (code === 1008) {
      // Policy violation: the credential was refused. If the session is gone, sign in again.
      void this.session.load().then(
        (me) => (me ? this.scheduleReconnect() : (this.session.expired(), this.stop())),
        () => this.scheduleReconnect(),
      );
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.reconnectTimer !== null) return;
    this.status.set('down');
    this.retrying.set(true);
    const delay = backoffMs(this.attempt++);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private clearPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private clearTimers(): void {
    this.clearPing();
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }
}
