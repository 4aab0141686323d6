import { ChangeDetectionStrategy, Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'oe-not-found',
  imports: [RouterLink],
  template: `<h1>Page not found</h1><p>No page lives at this address. <a routerLink="/dashboard">Go to the dashboard</a>.</p>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotFound {}
