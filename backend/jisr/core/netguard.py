"""Outbound requests to addresses an admin typed (webhooks): public destinations only.

A URL is refused when its host is, or resolves to, any address that is not public: loopback, private
ranges, link-local (169.254.169.254 and the cloud metadata services), 0.0.0.0, carrier-grade NAT,
multicast, IPv4-mapped IPv6 of any of these… Numeric hosts are read the way the C library reads them
(``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``), so an encoding cannot slip through.

The operator may allow named private hosts (a receiver on the same network) with
``JISR_WEBHOOK_ALLOWED_HOSTS``: host names, addresses or networks (``hooks.internal,10.0.0.0/8``).
"""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# getaddrinfo(host, port) → addresses; a module attribute so tests stub it (no traffic off loopback).
Resolver = Callable[[str, int], list[str]]


class RefusedDestination(ValueError):
    """The URL points somewhere Jisr must not send to; the message is short and safe to show."""


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


resolve: Resolver = _system_resolve


def _inet_aton_number(part: str) -> int | None:
    """One dotted part as inet_aton reads it: decimal, octal (leading 0) or hexadecimal (0x)."""
    try:
        if part.lower().startswith("0x"):
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part, 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def parse_ip(host: str) -> IPAddress | None:
    """``host`` as an address when it is one in any spelling (brackets, inet_aton forms); else None."""
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%", 1)[0]  # a zone id (fe80::1%eth0)
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_inet_aton_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    nums: list[int] = [n for n in numbers if n is not None]
    # a.b.c.d, a.b.c (c: 16 bits), a.b (b: 24 bits), a (32 bits)
    value = 0
    for n in nums[:-1]:
        if n > 255:
            return None
        value = value * 256 + n
    last_bits = 8 * (5 - len(nums))
    if nums[-1] >= 2**last_bits:
        return None
    value = (value << last_bits) | nums[-1]
    return ipaddress.IPv4Address(value)


def is_public(addr: IPAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if addr.teredo is not None:
            return False
    return bool(addr.is_global) and not addr.is_multicast and not addr.is_reserved


@dataclass(frozen=True)
class Allowed:
    """The operator's exceptions: host names (exact, case-insensitive) and addresses or networks."""

    names: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Allowed":
        names: set[str] = set()
        networks = []
        for item in (i.strip() for i in text.split(",")):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
            except ValueError:
                names.add(item.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks))

    def has_address(self, addr: IPAddress) -> bool:
        return any(addr in net for net in self.networks)


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (one address per name, all of them public or allowed)."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def check(url: str, *, allowed: Allowed, unresolved_ok: bool = False) -> Destination:
    """Refuse ``url`` unless every address it may reach is public (or allowed by the operator).

    A name is resolved and every address checked. With ``unresolved_ok`` (registration), a name that
    does not resolve yet is accepted with no address: delivery checks it again before connecting.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedDestination("the URL cannot be read") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedDestination("only http and https URLs are allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise RefusedDestination("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedDestination("credentials in the URL are not allowed")
    port = port or (443 if scheme == "https" else 80)
    if host in allowed.names:
        return Destination(url, scheme, host, port, ())
    literal = parse_ip(host)
    if literal is not None:
        if not (is_public(literal) or allowed.has_address(literal)):
            raise RefusedDestination(f"{literal} is not a public address")
        return Destination(url, scheme, host, port, (str(literal),))
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".home.arpa")):
        raise RefusedDestination(f"{host} is not a public host name")
    try:
        found = resolve(host, port)
    except OSError:
        found = []
    if not found:
        if unresolved_ok:
            return Destination(url, scheme, host, port, ())
        raise RefusedDestination(f"{host} does not resolve")
    addresses: list[str] = []
    for text in found:
        addr = parse_ip(text)
        if addr is None or not (is_public(addr) or allowed.has_address(addr)):
            raise RefusedDestination(f"{host} resolves to a non-public address")
        addresses.append(str(addr))
    return Destination(url, scheme, host, port, tuple(dict.fromkeys(addresses)))
