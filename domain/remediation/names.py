"""Kubernetes object names, validated as the API server validates them (DNS-1123).

A name goes into an API path (``/apis/apps/v1/namespaces/{ns}/deployments/{name}``): a
runbook whose "deployment" is ``../../../api/v1/secrets`` must be refused where it is
written, not discovered in the cluster. Namespaces (and StatefulSets) are DNS-1123
*labels*; Deployments and DaemonSets are DNS-1123 *subdomains*.
"""

from __future__ import annotations

import re

from domain.errors import ValidationError

# Used with fullmatch: "^...$" would let a trailing newline through ("$" matches before it).
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253

# Which rule each workload kind's name follows (the API server's validation).
NAME_RULES = {"deployment": "subdomain", "daemonset": "subdomain", "statefulset": "label"}


def dns1123_label(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > LABEL_MAX or not _LABEL.fullmatch(value):
        raise ValidationError(f"{value!r} is not a valid Kubernetes name (a DNS-1123 label: at most {LABEL_MAX} "
                              "lowercase letters, digits and '-', starting and ending with a letter or digit)", field=field)
    return value


def dns1123_subdomain(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > SUBDOMAIN_MAX or not _SUBDOMAIN.fullmatch(value):
        raise ValidationError(f"{value!r} is not a valid Kubernetes name (a DNS-1123 subdomain: at most "
                              f"{SUBDOMAIN_MAX} characters, dot-separated lowercase labels of letters, digits and '-')",
                              field=field)
    return value


def workload_name(kind: str, value: object, field: str) -> str:
    """The name of a workload of ``kind``, by the rule the API server applies to it."""
    return dns1123_label(value, field) if NAME_RULES.get(kind) == "label" else dns1123_subdomain(value, field)
