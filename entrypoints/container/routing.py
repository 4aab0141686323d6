"""Notification routing (docs/adr/0018-notification-routing.md): the secret box sealing
receivers' secrets, and the config watcher's reloaders."""

from __future__ import annotations

from adapters.secretbox import AesGcmSecretBox
from entrypoints.settings import Settings
from services.config_changes import ConfigWatcher
from services.routing import KIND, StoredAlertingConfigs


def secret_box(s: Settings) -> AesGcmSecretBox:
    return AesGcmSecretBox.from_key_file(s.secrets_key_file or s.data_dir / "secrets-key")


def watch_routing(watcher: ConfigWatcher, alerting_configs: StoredAlertingConfigs) -> ConfigWatcher:
    """``watcher``, with the pipeline's routing cache dropped on a ``routing`` change."""
    watcher.on(KIND, alerting_configs.invalidate)
    return watcher
