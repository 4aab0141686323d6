"""The bus on Kafka (aiokafka): telemetry, alerts and domain-event topics."""

from adapters.kafka.bus import KafkaBus
from adapters.kafka.config import GroupHooks, KafkaConfig, KafkaUnavailable

__all__ = ["GroupHooks", "KafkaBus", "KafkaConfig", "KafkaUnavailable"]
