"""Dashboards: each user's preferences (the home page's tile layout, UI choices) and a
tenant's saved dashboards of PromQL panels (docs/adr/0015-dashboard.md)."""
