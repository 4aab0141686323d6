"""Kubernetes: the infrastructure port on the Kubernetes REST API (apps/v1)."""
