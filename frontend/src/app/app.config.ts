import {
  ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideHttpClient, withFetch, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { provideRouter, withComponentInputBinding, withInMemoryScrolling } from '@angular/router';
import { routes } from './app.routes';
import { sessionExpiry } from './core/auth/guards';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding(), withInMemoryScrolling({ scrollPositionRestoration: 'top' })),
    provideHttpClient(
      withFetch(),
      // CONTRACT-AUTH: unsafe requests echo the readable oe_csrf cookie in X-CSRF-Token.
      withXsrfConfiguration({ cookieName: 'oe_csrf', headerName: 'X-CSRF-Token' }),
      withInterceptors([sessionExpiry]),
    ),
  ],
};
