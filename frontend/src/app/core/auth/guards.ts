import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { tap } from 'rxjs';
import { Session } from './session';

/** Pages need a session: otherwise to /login?next=<where the user was going>. */
export const requireSession: CanActivateFn = async (_route, state) => {
  const session = inject(Session);
  const router = inject(Router);
  const me = session.state() === 'signed-in' ? session.me() : await session.load().catch(() => null);
  if (me) return true;
  return router.createUrlTree(['/login'], { queryParams: state.url !== '/' ? { next: state.url } : {} });
};

/** The sign-in page is for those signed out; a signed-in user goes to the dashboard. */
export const requireNoSession: CanActivateFn = async () => {
  const session = inject(Session);
  const me = await session.load().catch(() => null);
  return me ? inject(Router).createUrlTree(['/dashboard']) : true;
};

const SESSION_ROUTES = ['/api/v1/auth/me', '/api/v1/auth/login', '/api/v1/auth/providers'];

/** A 401 on any other API call means the session ended while the page was open. */
export const sessionExpiry: HttpInterceptorFn = (req, next) => {
  const session = inject(Session);
  return next(req).pipe(
    tap({
      error: (err: unknown) => {
        if (err instanceof HttpErrorResponse && err.status === 401 && !SESSION_ROUTES.some((r) => req.url.startsWith(r))) {
          session.expired();
        }
      },
    }),
  );
};

/** A safe `next` target: a same-origin relative path, never another site. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/login')) {
    return '/dashboard';
  }
  return next;
}
