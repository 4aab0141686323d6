"""The alert pipeline's stages, one module each (as Alertmanager's packages are):

dedup → silence → inhibit → incident → route → group → notify

Each stage is a small class with ``process(ctx, events)``; ``services.alerting.AlertPipeline``
composes them and drives the clock (``tick``). ``config`` reads the routing tree,
receivers and inhibit rules. See docs/adr/0005-alert-pipeline.md.

(Nothing is imported here on purpose: ``services.notifications`` and the notify stage
import each other's modules, and an eager package ``__init__`` would make that a cycle.)
"""
