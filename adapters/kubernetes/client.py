"""``ports.infrastructure.Infrastructure`` on the Kubernetes API, with httpx.

- replicas: ``GET  /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale``
- scale:    ``PATCH`` the same ``scale`` subresource, a JSON merge patch of ``spec.replicas``
- restart:  ``PATCH /apis/apps/v1/namespaces/{ns}/deployments/{name}``, a strategic merge
  patch of the pod template's ``kubectl.kubernetes.io/restartedAt`` annotation, as
  ``kubectl rollout restart`` does. The annotation's value is the stamp the workflow
  chose, so patching it again (a retried activity) changes nothing and starts no
  second rollout.

Names are checked again here as the API server would (DNS-1123: namespace a label, the
workload's name by its kind's rule) and every path segment is percent-encoded, so no
name can step to another API path. Each call has a total deadline (``timeout_s``) and
an answer of at most ``MAX_ANSWER_BYTES``.

Errors: 404 and other 4xx are permanent (the workload or the request is wrong), 409
(a concurrent write), 429 and 5xx and transport failures are worth retrying; an invalid
name or an oversized answer is permanent.
Credentials: a bearer token (in a cluster: the service account's token and CA, see
``in_cluster``).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from adapters.outbound.bounded import DeadlineExceeded, ResponseTooLarge, send_bounded
from domain.errors import ValidationError
from domain.remediation.names import dns1123_label, workload_name
from ports.infrastructure import InfrastructureError, Workload

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
_PLURAL = {"deployment": "deployments", "statefulset": "statefulsets", "daemonset": "daemonsets"}
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a Scale or a Deployment is a few KiB


def restarted_at(stamp_ms: int) -> str:
    return datetime.fromtimestamp(stamp_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class KubernetesInfrastructure:
    dry_run = False

    def __init__(self, base_url: str, *, token: str | None = None, verify: bool | str = True, timeout_s: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Accept": "application/json", "User-Agent": "Observer-Eye/0.1 (+remediation)"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, verify=verify,
                                         timeout=timeout_s, transport=transport, follow_redirects=False)

    @classmethod
    def in_cluster(cls) -> "KubernetesInfrastructure":
        """From the pod's service account (``KUBERNETES_SERVICE_HOST`` and the mounted token)."""
        host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        token = (SERVICE_ACCOUNT / "token").read_text().strip()
        return cls(f"https://{host}:{port}", token=token, verify=str(SERVICE_ACCOUNT / "ca.crt"))

    def _path(self, w: Workload, sub: str = "") -> str:
        plural = _PLURAL.get(w.kind)
        if plural is None:
            raise InfrastructureError(f"cannot act on a {w.kind}: use one of {sorted(_PLURAL)}")
        try:
            namespace = dns1123_label(w.namespace, "namespace")
            name = workload_name(w.kind, w.name, "name")
        except ValidationError as e:
            raise InfrastructureError(f"{w}: {e}") from None
        return f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}/{plural}/{quote(name, safe='')}{sub}"

    async def _request(self, method: str, path: str, what: str, *, json: Any = None,
                       content_type: str | None = None) -> dict[str, Any]:
        headers = {"Content-Type": content_type} if content_type else None
        try:
            request = self._client.build_request(method, path, json=json, headers=headers)
            r = await send_bounded(self._client, request, max_bytes=MAX_ANSWER_BYTES, deadline_s=self._timeout_s)
        except ResponseTooLarge as e:
            raise InfrastructureError(f"{what}: {e}") from e
        except (httpx.HTTPError, DeadlineExceeded) as e:
            raise InfrastructureError(f"{what}: {type(e).__name__}: {e}", retryable=True) from e
        if r.status_code >= 400:
            retryable = r.status_code in (409, 429) or r.status_code >= 500
            reason = r.json().get("message", r.text[:200]) if "json" in r.headers.get("content-type", "") else r.text[:200]
            raise InfrastructureError(f"{what}: HTTP {r.status_code}: {reason}", retryable=retryable)
        return r.json() if r.content else {}

    async def replicas(self, workload: Workload) -> int:
        body = await self._request("GET", self._path(workload, "/scale"), f"read the scale of {workload}")
        return int(body.get("spec", {}).get("replicas", 0))

    async def scale(self, workload: Workload, replicas: int) -> None:
        await self._request("PATCH", self._path(workload, "/scale"), f"scale {workload} to {replicas}",
                            json={"spec": {"replicas": replicas}}, content_type="application/merge-patch+json")

    async def restart(self, workload: Workload, *, stamp_ms: int) -> None:
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: restarted_at(stamp_ms)}}}}}
        await self._request("PATCH", self._path(workload), f"restart {workload}", json=patch,
                            content_type="application/strategic-merge-patch+json")

    async def aclose(self) -> None:
        await self._client.aclose()
