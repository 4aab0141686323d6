"""The postmortem workflow's activities (store writes are idempotent by document id
and version, so a retry finds what the first attempt wrote)."""

from __future__ import annotations

from temporalio import activity

from ports.postmortems import Postmortem
from services.postmortem import DraftRequest, PostmortemService


class PostmortemActivities:
    def __init__(self, service: PostmortemService) -> None:
        self._service = service

    @activity.defn(name="postmortem.draft")
    async def draft(self, req: DraftRequest) -> Postmortem:
        return await self._service.draft(req)

    @activity.defn(name="postmortem.reassign")
    async def reassign(self, tenant: str, postmortem_id: str, owner: str) -> Postmortem:
        return await self._service.reassign(tenant, postmortem_id, owner)

    @activity.defn(name="postmortem.publish")
    async def publish(self, tenant: str, postmortem_id: str, actor: str, at_ms: int, body: str) -> Postmortem:
        return await self._service.publish(tenant, postmortem_id, actor, at_ms, body or None)

    @activity.defn(name="postmortem.cancel")
    async def cancel(self, tenant: str, postmortem_id: str) -> None:
        await self._service.cancel(tenant, postmortem_id)
