"""Whether a profile's login IP ranges (start/end address pairs) cover every required CIDR block."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

QUALTRICS_RANGES = ("162.247.216.0/22", "139.60.152.0/22")


def parse_cidr(value: str, where: str = "ipRange") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a CIDR range such as 162.247.216.0/22") from None


def uncovered(ranges: Iterable[tuple[str, str]], required: Iterable[str]) -> list[str]:
    """The required CIDRs not wholly inside the union of the (start, end) address ranges, in order."""
    intervals = sorted(
        (int(ipaddress.ip_address(start)), int(ipaddress.ip_address(end)), ipaddress.ip_address(start).version)
        for start, end in ranges
    )
    merged: list[list[int]] = []
    for low, high, version in intervals:
        if merged and merged[-1][2] == version and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high, version])
    missing = []
    for cidr in required:
        network = parse_cidr(cidr)
        first, last = int(network.network_address), int(network.broadcast_address)
        if not any(v == network.version and lo <= first and last <= hi for lo, hi, v in merged):
            missing.append(str(network))
    return missing
