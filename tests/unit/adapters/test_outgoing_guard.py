"""The outgoing-address guard: IPv4 hidden in IPv6 is judged by the IPv4 address it
leads to; site-local and Teredo are refused; the address checked is the one connected
to (DNS is asked once per send: no second answer can swap in a private address)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import hypothesis.strategies as st
import pytest
from hypothesis import given

from adapters.notify.http import GuardedHttp
from adapters.outbound.guard import OutgoingGuard, Refused
from tests.unit.adapters.fake_http import fake_server

EMBEDDINGS = {
    "IPv4-mapped": lambda v4: f"::ffff:{v4}",
    "IPv4-compatible": lambda v4: f"::{v4}",
    "NAT64": lambda v4: f"64:ff9b::{v4}",
    "NAT64 local-use": lambda v4: str(ipaddress.IPv6Address(
        ipaddress.IPv6Address("64:ff9b:1::").packed[:6] + v4.packed[:2] + b"\0" + v4.packed[2:] + bytes(5))),
    "6to4": lambda v4: str(ipaddress.IPv6Address(b"\x20\x02" + v4.packed + bytes(10)) + 1),
}
PRIVATE = ["127.0.0.1", "10.1.2.3", "192.168.0.10", "169.254.169.254", "172.16.0.1", "100.64.0.1", "0.0.0.0"]


def _refused(address: str, guard: OutgoingGuard | None = None) -> bool:
    try:
        (guard or OutgoingGuard()).check_ip("hook.example", ipaddress.ip_address(address))
    except Refused:
        return True
    return False


@pytest.mark.parametrize("form", sorted(EMBEDDINGS))
@pytest.mark.parametrize("v4", PRIVATE)
def test_a_private_ipv4_inside_ipv6_is_refused(form: str, v4: str) -> None:
    assert _refused(EMBEDDINGS[form](ipaddress.IPv4Address(v4)))


@given(st.sampled_from(sorted(EMBEDDINGS)), st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
def test_an_embedded_ipv4_is_judged_as_itself(form: str, v4: ipaddress.IPv4Address) -> None:
    assert _refused(EMBEDDINGS[form](v4)) == _refused(str(v4))


@pytest.mark.parametrize("address", ["fec0::1", "fef0:1::1", "2001:0:808:808::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"])
def test_site_local_and_teredo_are_refused(address: str) -> None:
    assert _refused(address)


def test_a_refusal_names_the_embedded_address_and_the_allow_list() -> None:
    with pytest.raises(Refused) as info:
        OutgoingGuard().check_ip("metadata", ipaddress.ip_address("64:ff9b::a9fe:a9fe"))
    assert "169.254.169.254" in str(info.value) and "OBSERVER_OUTGOING_ALLOW" in str(info.value)


def test_allowing_an_ipv4_network_allows_its_embeddings() -> None:
    guard = OutgoingGuard(["10.0.0.0/8"])
    assert not _refused("::ffff:10.1.2.3", guard) and not _refused("64:ff9b::a01:203", guard)
    assert _refused("64:ff9b::c0a8:1", guard)  # 192.168.0.1 is not in the list


async def test_the_checked_address_is_the_one_connected_to(monkeypatch) -> None:
    """Resolve once: the first answer (the local receiver) is allowed; any later
    lookup would answer with an unroutable address and the send would fail."""
    lookups: list[str] = []
    real = asyncio.get_running_loop().getaddrinfo

    async def rebinding(host, port, *args, **kwargs):
        if host != "hooks.test":
            return await real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "192.0.2.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", rebinding)
    with fake_server(lambda seen: (200, {"ok": True})) as srv:
        port = int(srv.url.rsplit(":", 1)[1])
        http = GuardedHttp(OutgoingGuard(["127.0.0.1/32"]), timeout_s=5)
        response = await http.post(f"http://hooks.test:{port}/hook", b"{}", {})
    assert response.status_code == 200 and lookups == ["hooks.test"]
    assert srv.requests[0].headers["host"] == f"hooks.test:{port}"
