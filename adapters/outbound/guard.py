"""The outgoing-connection guard: no notification reaches a private address unless an
operator allowed it.

Webhook URLs are configuration a tenant may one day write; pointed at
``http://169.254.169.254/`` or ``http://localhost:6379/`` they would turn the notifier
into a proxy into our own network (SSRF). So the host is resolved, *every* address it
resolves to must be public (``ipaddress``'s ``is_global``, and not multicast;
IPv4-mapped IPv6 is unwrapped first), and the connection is then made to the address
that was checked, not to a second DNS answer (which could differ: DNS rebinding).

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


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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

    def ip_allowed(self, ip: IPAddress) -> bool:
        return _is_public(ip) or any(ip in net for net in self.networks if net.version == ip.version)

    def check_ip(self, host: str, ip: IPAddress) -> None:
        if not self.host_allowed(host) and not self.ip_allowed(ip):
            raise Refused(
                f"refused to connect to {host} ({ip}): not a public address; "
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
