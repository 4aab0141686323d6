"""The outgoing-connection guard: no notification reaches a private address unless an
operator allowed it.

Webhook URLs are configuration a tenant may one day write; pointed at
``http://169.254.169.254/`` or ``http://localhost:6379/`` they would turn the notifier
into a proxy into our own network (SSRF). So the host is resolved, *every* address it
resolves to must be public (``ipaddress``'s ``is_global``, and not multicast), and the
connection is then made to the address that was checked, not to a second DNS answer
(which could differ: DNS rebinding); callers pass the checked address to the socket.

IPv6 addresses that carry an IPv4 address reach that IPv4 host through a translator or
tunnel, so it is the embedded address that must be public: IPv4-mapped
(``::ffff:0:0/96``), IPv4-compatible (``::/96``), NAT64 (``64:ff9b::/96`` and the
local-use ``64:ff9b:1::/48``, RFC 6052/8215) and 6to4 (``2002::/16``).
``ipaddress`` calls ``64:ff9b::7f00:1`` or ``2002:7f00:1::`` global although they lead
to 127.0.0.1. Teredo (``2001::/32``) and the deprecated site-local ``fec0::/10`` are
refused whatever they carry.

The allow list (``OBSERVER_OUTGOING_ALLOW``) takes CIDRs (``10.1.0.0/16``, ``127.0.0.1/32``)
and host names (``hooks.internal``, or ``*.corp.example`` for a domain's hosts); a listed
host name is allowed whatever it resolves to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(Exception):
    """We will not connect there (says why, and how to allow it)."""


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")


def embedded_ipv4(ip: IPAddress) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to (none for a plain one)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return ()
    packed = ip.packed
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip in _NAT64:
        return (ipaddress.IPv4Address(packed[12:]),)
    if ip in _NAT64_LOCAL:  # a /48 prefix: the IPv4 octets around the reserved bits 64-71
        return (ipaddress.IPv4Address(packed[6:8] + packed[9:11]),)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo  # (server, client)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: nor ::1
        return (ipaddress.IPv4Address(packed[12:]),)
    return ()


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _SITE_LOCAL or ip.teredo is not None:
            return False
        embedded = embedded_ipv4(ip)
        if embedded:
            return all(_is_public(v4) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


class OutgoingGuard:
    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.networks: list[IPNetwork] = []
        self.hosts: set[str] = set()
        self.domains: list[str] = []
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("*."):
                self.domains.append(entry[1:])  # ".corp.example"
            else:
                self.hosts.add(entry.rstrip("."))

    def host_allowed(self, host: str) -> bool:
        h = host.lower().rstrip(".")
        return h in self.hosts or any(h.endswith(d) for d in self.domains)

    def _listed(self, ip: IPAddress) -> bool:
        return any(ip in net for net in self.networks if net.version == ip.version)

    def ip_allowed(self, ip: IPAddress) -> bool:
        """Public, or allowed: the address's network is listed, or that of every IPv4
        address it embeds (allowing 10.0.0.0/8 allows ``::ffff:10.0.0.1`` too)."""
        if _is_public(ip) or self._listed(ip):
            return True
        embedded = embedded_ipv4(ip)
        return bool(embedded) and all(self._listed(v4) for v4 in embedded)

    def check_ip(self, host: str, ip: IPAddress) -> None:
        if not self.host_allowed(host) and not self.ip_allowed(ip):
            embedded = embedded_ipv4(ip)
            carries = f", which leads to {', '.join(map(str, embedded))}" if embedded else ""
            raise Refused(
                f"refused to connect to {host} ({ip}{carries}): not a public address; "
                f"add {ip} (or its network, or the host name) to OBSERVER_OUTGOING_ALLOW to allow it"
            )

    async def resolve(self, host: str, port: int) -> str:
        """The address to connect to for ``host``: every address it resolves to is checked."""
        return (await self.resolve_all(host, port))[0]

    async def resolve_all(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, in resolver order, each checked (one refused: all refused)."""
        host = host.strip("[]")
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            self.check_ip(host, literal)
            return [str(literal)]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        for a in addresses:
            self.check_ip(host, ipaddress.ip_address(a.split("%")[0]))
        return addresses
