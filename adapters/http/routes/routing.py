"""Notification routing as resources (docs/adr/0018-notification-routing.md, ADR 0017's
conventions): the routing tree, receivers, inhibit rules, time intervals, and the whole
as Alertmanager's YAML. Reading needs ``alerts:read``; changing needs ``routing:manage``.
Receivers' secrets are never returned (``"<redacted>"``, ``has_secret``); a write that
leaves one out keeps the stored one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from adapters.http.deps import ApiServices, require, services
from adapters.http.middleware.audit import AUDITED, remote_addr
from adapters.http.resources import IfMatch, Paging, expected_version, page, paging, set_etag
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from ports.routing import ROOT, RoutingItem, RoutingKind
from services.identity import Actor
from services.routing import RoutingService, has_secrets, shown
from services.routing.resources import export_alertmanager, import_alertmanager
from services.routing.secrets import channel_lists

router = APIRouter(tags=["routing"])
Reader = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_ROUTING))]
Svc = Annotated[ApiServices, Depends(services)]
Document = Annotated[dict[str, Any], Body(description="the document (see the README's routing section); "
                                                      "on a replace, with the 'version' you read or an If-Match")]
Version = Annotated[int | None, Query(ge=1, description="the version you read (or If-Match)")]
YAML = "application/yaml"


def _routing(svc: ApiServices) -> RoutingService:
    if svc.routing is None:
        raise NotFound("notification routing is not configured in this process")
    return svc.routing


def _actor(request: Request, principal: Principal) -> Actor:
    setattr(request.state, AUDITED, True)  # the service wrote the entry, with before and after
    return Actor.of(principal, remote_addr(request.scope))


def _meta(item: RoutingItem) -> dict[str, Any]:
    return {"version": item.version, "updated_by": item.updated_by, "updated_at_ms": item.updated_at_ms}


def item_out(item: RoutingItem) -> dict[str, Any]:
    if item.kind is RoutingKind.TREE:
        return {"route": shown(item), **_meta(item)}
    out = {**shown(item), **_meta(item)}
    if item.kind is RoutingKind.RECEIVER:
        out["has_secret"] = has_secrets(item.document)
    return out


def _split_version(doc: dict[str, Any], query: int | None, if_match: str | None) -> tuple[dict[str, Any], int]:
    body = dict(doc)
    version = body.pop("version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ValidationError("must be the version you read (a whole number >= 1)", field="version")
    if version is not None and query is not None and version != query:
        raise ValidationError("the body's version and the query's disagree; send one", field="version")
    return body, expected_version(version if version is not None else query, if_match)


# ------------------------------------------------------------------------- the tree


@router.get("/api/v1/routing/tree", summary="The routing tree (its root route), with its version")
async def get_tree(principal: Reader, svc: Svc, response: Response) -> dict:
    item = await _routing(svc).get(principal.tenant, RoutingKind.TREE, ROOT)
    set_etag(response, item.version)
    return {"data": item_out(item)}


@router.put("/api/v1/routing/tree", summary="Replace the routing tree (body: {route, version})")
async def put_tree(body: Document, principal: Admin, svc: Svc, request: Request, response: Response,
                   if_match: IfMatch = None) -> dict:
    doc, version = _split_version(body, None, if_match)
    if set(doc) != {"route"}:
        raise ValidationError("send {\"route\": {...the root route...}, \"version\": <the version you read>}",
                              field=next(iter(sorted(set(doc) - {"route"})), "route"))
    item = await _routing(svc).replace(principal.tenant, _actor(request, principal), RoutingKind.TREE, ROOT,
                                       doc["route"], version)
    set_etag(response, item.version)
    return {"data": item_out(item)}


# ------------------------------------------- receivers, inhibit rules, time intervals


def _matches(item: RoutingItem, q: str | None, channel_type: str | None) -> bool:
    if q and q.lower() not in item.name.lower():
        return False
    return channel_type is None or any(kind == channel_type for kind, *_ in channel_lists(item.document))


def _collection(path: str, kind: RoutingKind, what: str, with_type: bool) -> None:
    async def list_items(principal: Reader, svc: Svc, p: Annotated[Paging, Depends(paging)],
                         q: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
                         type: Annotated[str | None, Query(description="receivers with a channel of this type")] = None,
                         ) -> dict:
        items = [i for i in await _routing(svc).list(principal.tenant, kind) if _matches(i, q, type if with_type else None)]
        return page(items, p, lambda i: i.name, item_out)

    async def create_item(body: Document, principal: Admin, svc: Svc, request: Request, response: Response) -> dict:
        if "version" in body:
            raise ValidationError(f"a new {what} has no version yet; leave it out", field="version")
        item = await _routing(svc).create(principal.tenant, _actor(request, principal), kind, body)
        set_etag(response, item.version)
        return {"data": item_out(item)}

    async def get_item(name: str, principal: Reader, svc: Svc, response: Response) -> dict:
        item = await _routing(svc).get(principal.tenant, kind, name)
        set_etag(response, item.version)
        return {"data": item_out(item)}

    async def replace_item(name: str, body: Document, principal: Admin, svc: Svc, request: Request, response: Response,
                           version: Version = None, if_match: IfMatch = None) -> dict:
        doc, expected = _split_version(body, version, if_match)
        item = await _routing(svc).replace(principal.tenant, _actor(request, principal), kind, name, doc, expected)
        set_etag(response, item.version)
        return {"data": item_out(item)}

    async def delete_item(name: str, principal: Admin, svc: Svc, request: Request, version: Version = None,
                          if_match: IfMatch = None) -> Response:
        await _routing(svc).delete(principal.tenant, _actor(request, principal), kind, name,
                                   expected_version(version, if_match))
        return Response(status_code=204)

    if not with_type:
        async def list_items_plain(principal: Reader, svc: Svc, p: Annotated[Paging, Depends(paging)],
                                   q: Annotated[str | None, Query(max_length=200, description="part of the name")] = None,
                                   ) -> dict:
            return await list_items(principal, svc, p, q, None)

    router.add_api_route(path, list_items if with_type else list_items_plain, methods=["GET"],
                         summary=f"The tenant's {what}s, by name (paged)")
    router.add_api_route(path, create_item, methods=["POST"], status_code=201, summary=f"Add a {what}")
    router.add_api_route(f"{path}/{{name}}", get_item, methods=["GET"], summary=f"One {what}, with its version")
    router.add_api_route(f"{path}/{{name}}", replace_item, methods=["PUT"],
                         summary=f"Replace a {what} (name the version you read)")
    router.add_api_route(f"{path}/{{name}}", delete_item, methods=["DELETE"], status_code=204,
                         summary=f"Remove a {what} (name the version you read)")


_collection("/api/v1/receivers", RoutingKind.RECEIVER, "receiver", with_type=True)
_collection("/api/v1/inhibit-rules", RoutingKind.INHIBIT_RULE, "inhibit rule", with_type=False)
_collection("/api/v1/time-intervals", RoutingKind.TIME_INTERVAL, "time interval", with_type=False)


@router.post("/api/v1/receivers/{name}/test", status_code=202,
             summary="Send a test notification to every channel of a receiver (the real delivery path)")
async def test_receiver(name: str, principal: Admin, svc: Svc, request: Request) -> dict:
    routing = _routing(svc)
    if routing.probe is None:
        raise NotFound("notifications are not configured in this process")
    sent = await routing.probe.send(principal.tenant, name, Actor.of(principal, remote_addr(request.scope)))
    return {"data": [{"channel": d.channel, "type": d.type, "key": d.key, "status": d.status,
                      "delivery": f"/api/v1/notifications/deliveries/{d.key}"} for d in sent]}


# ------------------------------------------------------------- Alertmanager's YAML


@router.get("/api/v1/routing/alertmanager", summary="The whole routing as alertmanager.yml (secrets as placeholders)",
            response_class=Response, responses={200: {"content": {YAML: {}}}})
async def get_alertmanager(principal: Reader, svc: Svc) -> Response:
    text, revision = await export_alertmanager(_routing(svc), principal.tenant)
    response = Response(text, media_type=YAML)
    set_etag(response, revision)
    return response


@router.put("/api/v1/routing/alertmanager",
            summary="Replace the whole routing with an alertmanager.yml (name the revision you read)",
            openapi_extra={"requestBody": {"content": {YAML: {"schema": {"type": "string"}}}, "required": True}})
async def put_alertmanager(principal: Admin, svc: Svc, request: Request, response: Response,
                           version: Annotated[int | None, Query(ge=1, description="the revision you read (or If-Match)")] = None,
                           drop_unsupported: Annotated[bool, Query(description="leave out what is not supported "
                                                                               "instead of refusing it")] = False,
                           if_match: IfMatch = None) -> dict:
    expected = expected_version(version, if_match)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError("the body must be UTF-8 YAML", field="body") from None
    revision, dropped = await import_alertmanager(_routing(svc), principal.tenant, _actor(request, principal), text,
                                                  expected, drop_unsupported=drop_unsupported)
    set_etag(response, revision)
    return {"data": {"revision": revision, "dropped": dropped}}
