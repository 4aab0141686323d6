"""Notification routing as tenant-scoped configuration resources (docs/adr/0018-notification-routing.md)."""

from services.routing.configs import StoredAlertingConfigs
from services.routing.resources import KIND, RoutingService, RoutingSnapshot, shown
from services.routing.secrets import REDACTED, ReceiverSecrets, has_secrets, redact
from services.routing.seed import RoutingSeed, load_seed_document

__all__ = ["KIND", "REDACTED", "ReceiverSecrets", "RoutingSeed", "RoutingService", "RoutingSnapshot",
           "StoredAlertingConfigs", "has_secrets", "load_seed_document", "redact", "shown"]
