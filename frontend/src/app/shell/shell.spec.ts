import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { LiveStream } from '../core/live/live-stream';
import { appTestProviders, makeMe, settle, signIn } from '../../testing/setup';
import { Shell } from './shell';

describe('Shell', () => {
  it('shows the user, the navigation and a stale badge while the stream is down', async () => {
    TestBed.configureTestingModule({ providers: appTestProviders() });
    await signIn(makeMe('responder'));
    const fixture = TestBed.createComponent(Shell);
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    expect([...el.querySelectorAll('nav a')].map((a) => a.textContent)).toContain('Incidents');
    expect(el.textContent).toContain('The responder');
    expect(el.querySelector('.stale')).toBeNull();
    TestBed.inject(HttpTestingController).expectOne('/api/v1/stream/tickets').flush(
      { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'down' }, { status: 503, statusText: 'Service Unavailable' });
    await settle();
    expect(TestBed.inject(LiveStream).stale()).toBe(true);
    expect(el.querySelector('.stale')!.textContent).toContain('Stale');
    fixture.destroy();
  });
});
