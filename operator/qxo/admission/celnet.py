"""The Kubernetes CEL IP and CIDR libraries (in the API server's base environment since 1.30).

Follows k8s.io/apiserver/pkg/cel/library/ip.go and cidr.go: `ip()`/`isIP()` and `cidr()`/`isCIDR()`
parse with Go's netip rules (no IPv4 leading zeros, no zones, no IPv4-mapped IPv6), `cidr()`
keeps host bits (`masked()` clears them, so `cidr(s) == cidr(s).masked()` says "is a network
address"), and the members `family`, `isUnspecified`, `isLoopback`, `isLinkLocalMulticast`,
`isLinkLocalUnicast`, `isGlobalUnicast`, `containsIP`, `containsCIDR`, `ip`, `masked`,
`prefixLength`, plus `string()` of either. Reference:
https://kubernetes.io/docs/reference/using-api/cel/#kubernetes-ip-address-library
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from qxo.admission.cellib import CelError
from qxo.admission.cellib import need as _need

_BITS = re.compile(r"^(0|[1-9][0-9]{0,2})$")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class IP:
    """The value ip() returns."""

    __slots__ = ("address",)

    def __init__(self, address: Address) -> None:
        self.address = address

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IP) and self.address == other.address

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return str(self.address)


class CIDR:
    """The value cidr() returns: an address (host bits kept) and a prefix length."""

    __slots__ = ("address", "bits")

    def __init__(self, address: Address, bits: int) -> None:
        self.address, self.bits = address, bits

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CIDR) and (self.address, self.bits) == (other.address, other.bits)

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return f"{self.address}/{self.bits}"

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(str(self), strict=False)


def parse_ip(text: str) -> Address | None:
    """Go's netip.ParseAddr, less zones and IPv4-mapped IPv6 addresses, as Kubernetes' ip() refuses them."""
    if "%" in text:
        return None
    try:
        address = ipaddress.ip_address(text)  # refuses IPv4 octets with leading zeros, as netip does
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return None
    return address


def parse_cidr(text: str) -> CIDR | None:
    """Go's netip.ParsePrefix (host bits allowed), less IPv4-mapped IPv6 addresses."""
    head, slash, bits = text.rpartition("/")
    address = parse_ip(head) if slash else None
    if address is None or not _BITS.match(bits) or int(bits) > address.max_prefixlen:
        return None
    return CIDR(address, int(bits))


def _ip(text: Any) -> IP:
    address = parse_ip(_need(text, str, "ip"))
    if address is None:
        raise CelError(f"IP Address {text!r} parse error during conversion from string")
    return IP(address)


def _cidr(text: Any) -> CIDR:
    value = parse_cidr(_need(text, str, "cidr"))
    if value is None:
        raise CelError(f"network address parse error during conversion from string: {text!r}")
    return value


def _address_of(value: Any, name: str) -> Address:
    return (_ip(value) if isinstance(value, str) else _need(value, IP, name)).address


def _contains_ip(cidr: Any, other: Any) -> bool:
    return _address_of(other, "containsIP") in _need(cidr, CIDR, "containsIP").network


def _contains_cidr(cidr: Any, other: Any) -> bool:
    outer = _need(cidr, CIDR, "containsCIDR")
    inner = _cidr(other) if isinstance(other, str) else _need(other, CIDR, "containsCIDR")
    return inner.address.version == outer.address.version and inner.bits >= outer.bits \
        and inner.address in outer.network


def _ip_member(name: str, pick: Callable[[Address], Any]) -> Callable[[Any], Any]:
    return lambda value: pick(_need(value, IP, name).address)


def _cidr_ip(value: Any) -> IP:
    return IP(_need(value, CIDR, "ip").address)


def _masked(value: Any) -> CIDR:
    network = _need(value, CIDR, "masked").network
    return CIDR(network.network_address, network.prefixlen)


def _is_global_unicast(address: Address) -> bool:
    """Go's netip.Addr.IsGlobalUnicast: not unspecified, loopback, link-local, multicast or IPv4 broadcast."""
    if address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local:
        return False
    return not (address.version == 4 and int(address) == 0xFFFFFFFF)


def _is_link_local_multicast(address: Address) -> bool:
    if address.version == 4:
        return address in ipaddress.IPv4Network("224.0.0.0/24")
    return address in ipaddress.IPv6Network("ff02::/16")


NET_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ip": _ip,
    "isIP": lambda text: parse_ip(_need(text, str, "isIP")) is not None,
    "cidr": _cidr,
    "isCIDR": lambda text: parse_cidr(_need(text, str, "isCIDR")) is not None,
}

NET_METHODS: dict[str, Callable[..., Any]] = {
    "family": _ip_member("family", lambda address: address.version),
    "isUnspecified": _ip_member("isUnspecified", lambda address: address.is_unspecified),
    "isLoopback": _ip_member("isLoopback", lambda address: address.is_loopback),
    "isLinkLocalMulticast": _ip_member("isLinkLocalMulticast", _is_link_local_multicast),
    "isLinkLocalUnicast": _ip_member("isLinkLocalUnicast", lambda address: address.is_link_local),
    "isGlobalUnicast": _ip_member("isGlobalUnicast", _is_global_unicast),
    "containsIP": _contains_ip,
    "containsCIDR": _contains_cidr,
    "ip": _cidr_ip,
    "masked": _masked,
    "prefixLength": lambda value: _need(value, CIDR, "prefixLength").bits,
}
