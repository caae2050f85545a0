"""Where qxo may send credentials: the endpoint allowlist the operator's administrator owns, and the addresses
it never calls whatever the allowlist says.

Every client (the brand's, Salesforce's) and every command (`qxo operator`, `validate`, `plan`, `export`,
`doctor`) asks this module, so a tenant who may only create qxo objects cannot choose where a credential goes:
the defaults are Qualtrics' and Salesforce's own hosts, and only `--allow-endpoint PATTERN` adds more.

Patterns: `HOST`, `*.DOMAIN`, an IPv4 literal or a bracketed IPv6 literal, each optionally `:PORT`.
`*.example.com` matches every name below example.com at any depth (not example.com itself); a pattern
without a port matches any port. Link-local and cloud metadata addresses and names are refused as
patterns, as URL hosts, and as what an allowed name resolves to when a client connects.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Qualtrics API v3 lives at https://{datacenter}.qualtrics.com (what `spec.datacenter` means) and at
# organization hosts https://{organization}.{datacenter}.qualtrics.com; both are below qualtrics.com.
QUALTRICS = "*.qualtrics.com:443"
# Salesforce's login and instance hosts are all below salesforce.com: login.salesforce.com and
# test.salesforce.com, My Domain hosts (https://mycompany.my.salesforce.com, sandboxes under
# *.sandbox.my.salesforce.com, other partitions such as *.develop.my.salesforce.com) and instanced
# hosts (https://usa77.salesforce.com). See Salesforce Help, "Set the My Domain Login Policy"
# (help.salesforce.com, article xcloud.domain_name_setting_login_policy) and "My Domain URL Formats",
# and the Metadata API's MyDomainSettings (developer.salesforce.com, meta_mydomainsettings).
SALESFORCE = "*.salesforce.com:443"
DEFAULT_PATTERNS = (QUALTRICS, SALESFORCE)
# Each service's credentials go to its own hosts: a brand token never to a Salesforce-hosted page
# (anyone can own a My Domain host below salesforce.com), a refresh token never to a Qualtrics one.
SERVICE_DEFAULTS = {"qualtrics": (QUALTRICS,), "salesforce": (SALESFORCE,)}

# Never called, whatever the patterns: link-local ranges hold every major cloud's instance metadata
# service (169.254.169.254, also ECS's 169.254.170.2), which hands out the node's own credentials.
NEVER_ALLOWED_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "169.254.0.0/16",      # IPv4 link-local: AWS, GCP, Azure, OpenStack metadata
    "fe80::/10",           # IPv6 link-local
    "fd00:ec2::254/128",   # AWS instance metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud instance metadata
    "168.63.129.16/32",    # Azure's host endpoint (WireServer)
))
NEVER_ALLOWED_NAMES = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog",  # GCP
    "instance-data", "instance-data.ec2.internal",             # AWS
})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


class InvalidEndpoint(ValueError):
    """A URL or pattern qxo cannot use (scheme, host or port); the message says why, never a secret."""


class NotAllowed(Exception):
    """The endpoint is not on the allowlist, or is an address qxo never calls."""


@dataclass(frozen=True)
class Endpoint:
    """Where a URL connects: scheme, normalised host (lowercase, IDNA, no trailing dot) and effective port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def normalise_host(host: str) -> str:
    """The host as patterns compare it; raises InvalidEndpoint for what no DNS or IP form allows."""
    host = host.strip().lower().rstrip(".")
    if not host or "%" in host:
        raise InvalidEndpoint(f"{host!r} is not a host name or IP address")
    literal = _ip(host)
    if literal is not None:
        return str(literal)
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidEndpoint(f"{host!r} is not a valid host name") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise InvalidEndpoint(f"{host!r} is not a valid host name")
    if labels[-1].isdigit():
        # 2852039166 or 169.254.43518: resolvers read these as addresses; only canonical IP literals are taken.
        raise InvalidEndpoint(f"{host!r} is not a canonical IP address")
    return host


def parse_url(url: str) -> Endpoint:
    """The endpoint of an http(s) URL; raises InvalidEndpoint naming what is wrong (port range, user info, ...)."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError as error:
        if "port" in str(error).lower():
            raise InvalidEndpoint(f"{url!r}: port must be from 1 to 65535") from None
        raise InvalidEndpoint(f"{url!r} is not a usable URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise InvalidEndpoint(f"{url!r} is not an http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidEndpoint(f"{scheme}://… must not carry user info")
    if not parts.hostname:
        raise InvalidEndpoint(f"{url!r} has no host")
    port = port if port is not None else (443 if scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise InvalidEndpoint(f"{url!r}: port must be from 1 to 65535")
    return Endpoint(scheme, normalise_host(parts.hostname), port)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def is_never_allowed_address(address: str) -> bool:
    """True for a link-local or metadata address, also when written as IPv4-mapped, 6to4 or NAT64 IPv6."""
    ip = _ip(address.split("%", 1)[0])
    if ip is None:
        return False
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        candidates += [e for e in embedded if e is not None]
    return any(c in net for c in candidates for net in NEVER_ALLOWED_NETWORKS if c.version == net.version)


def is_never_allowed_host(host: str) -> bool:
    return host in NEVER_ALLOWED_NAMES or is_never_allowed_address(host)


@dataclass(frozen=True)
class Pattern:
    """One allowlist entry: an exact host, or `*.` and a domain (any name below it), and maybe a port."""

    text: str
    host: str
    wildcard: bool
    port: int | None

    @classmethod
    def parse(cls, text: str) -> Pattern:
        raw = text.strip()
        if not raw or "/" in raw or "@" in raw:
            raise InvalidEndpoint(f"{text!r}: give a host pattern such as api.example.com, *.example.com:443 "
                                  "or 127.0.0.1, not a URL")
        host, port = _split_port(raw, text)
        wildcard = host.startswith("*.")
        if wildcard:
            host = host[2:]
        if "*" in host:
            raise InvalidEndpoint(f"{text!r}: * is allowed only as the whole leftmost label (*.example.com)")
        host = normalise_host(host)
        if wildcard and (_ip(host) is not None or host.count(".") < 1):
            raise InvalidEndpoint(f"{text!r}: a wildcard needs a domain of at least two labels (*.example.com)")
        pattern = cls(raw, host, wildcard, port)
        if is_never_allowed_host(host) or any(pattern.matches_host(name) for name in NEVER_ALLOWED_NAMES):
            raise InvalidEndpoint(f"{text!r}: link-local and cloud metadata endpoints are never allowed")
        return pattern

    def matches_host(self, host: str) -> bool:
        return host.endswith("." + self.host) if self.wildcard else host == self.host

    def matches(self, endpoint: Endpoint) -> bool:
        return (self.port is None or endpoint.port == self.port) and self.matches_host(endpoint.host)


def _split_port(raw: str, text: str) -> tuple[str, int | None]:
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise InvalidEndpoint(f"{text!r}: write an IPv6 pattern as [address] or [address]:port")
        port_text = rest[1:] if rest else None
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    elif ":" in raw:
        raise InvalidEndpoint(f"{text!r}: write an IPv6 pattern in brackets, [address] or [address]:port")
    else:
        host, port_text = raw, None
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise InvalidEndpoint(f"{text!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


@dataclass(frozen=True)
class Allowlist:
    """The default patterns plus the administrator's; asked before every connection a client makes."""

    patterns: tuple[Pattern, ...]
    extra: tuple[str, ...] = ()  # the administrator's own patterns, which every service may use

    @classmethod
    def with_defaults(cls, extra: Iterable[str] = (), defaults: Iterable[str] = DEFAULT_PATTERNS) -> Allowlist:
        """`defaults` (Qualtrics' and Salesforce's hosts) plus `extra` (raises InvalidEndpoint for a bad pattern)."""
        extra, defaults = tuple(extra), tuple(defaults)
        texts = list(defaults) + [p for p in extra if p not in defaults]
        return cls(tuple(Pattern.parse(text) for text in texts), extra)

    def for_service(self, service: str) -> Allowlist:
        """What one client may call: its service's own hosts (SERVICE_DEFAULTS) and the administrator's patterns."""
        return _service_allowlist(self.extra, service)

    def describe(self) -> str:
        return ", ".join(pattern.text for pattern in self.patterns)

    def check(self, endpoint: Endpoint) -> Endpoint:
        if is_never_allowed_host(endpoint.host):
            raise NotAllowed(f"{endpoint} is a link-local or cloud metadata endpoint, which qxo never calls")
        if not any(pattern.matches(endpoint) for pattern in self.patterns):
            raise NotAllowed(f"{endpoint} is not an allowed endpoint (allowed: {self.describe()}); "
                             "the operator's administrator adds endpoints with --allow-endpoint")
        return endpoint

    def check_url(self, url: str) -> Endpoint:
        """The URL's endpoint when allowed; InvalidEndpoint when unusable, NotAllowed when not allowed."""
        try:
            parts = urlsplit(str(url))
            return _allowed_origin(self, parts.scheme, parts.netloc)
        except (ValueError, InvalidEndpoint, NotAllowed):
            return self.check(parse_url(url))  # raises, in the URL's own words


@functools.lru_cache(maxsize=1024)
def _allowed_origin(allowlist: Allowlist, scheme: str, netloc: str) -> Endpoint:
    # Asked before every brand call: all parse_url reads is the scheme and the netloc, so an allowed origin's
    # endpoint is worked out once (a refusal raises, and is never cached).
    return allowlist.check(parse_url(f"{scheme}://{netloc}/"))


@functools.cache
def _service_allowlist(extra: tuple[str, ...], service: str) -> Allowlist:
    # Asked before every brand call: parse the patterns once per (administrator's patterns, service).
    return Allowlist.with_defaults(extra, SERVICE_DEFAULTS[service])


def check_resolved(host: str, address: str) -> None:
    """At connect time: an allowed name must not resolve to a link-local or metadata address."""
    if is_never_allowed_address(address):
        raise NotAllowed(f"{host} resolves to {address}, a link-local or cloud metadata address, "
                         "which qxo never calls")


DEFAULT = Allowlist.with_defaults()
