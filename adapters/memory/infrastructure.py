"""The embedded default for remediation without a cluster: a dry run.

Without ``OBSERVER_INFRASTRUCTURE=kubernetes`` there is nothing to scale or restart, and
reporting "restarted" for a deployment that may not exist would be a lie responders act
on. So this adapter changes nothing and says so: it logs what a run would have done,
and ``dry_run`` makes every step's result (the remediation's API state) and the
incident's timeline say "dry run" (services/remediation.py,
workflows/incident/workflow.py). The replica count it reads is unknown: 0.
"""

from __future__ import annotations

import logging

from ports.infrastructure import Workload

log = logging.getLogger("observer_eye.remediation")


class DryRunInfrastructure:
    dry_run = True

    async def replicas(self, workload: Workload) -> int:
        log.info("dry run: would read the replica count of %s (no infrastructure configured)", workload)
        return 0

    async def scale(self, workload: Workload, replicas: int) -> None:
        log.warning("dry run: would scale %s to %d replicas (no infrastructure configured)", workload, replicas)

    async def restart(self, workload: Workload, *, stamp_ms: int) -> None:
        log.warning("dry run: would restart %s (no infrastructure configured)", workload)
