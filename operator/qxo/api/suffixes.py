"""Public suffixes: whether a wildcard domain reaches hosts that belong to different owners.

An extension's domain list says which hosts it may send a brand's data to. `https://*.co.uk`
or `https://*.github.io` would allow every company or person under a public suffix, and
`https://*.amazonaws.com` every S3 bucket, since the list names public suffixes inside it
(`s3.amazonaws.com`, ...). The rule is the one certificate authorities follow for wildcard
certificates (CA/Browser Forum Baseline Requirements, wildcard domain validation, first
adopted as Ballot 96: https://cabforum.org/2013/02/20/ballot-96-wildcard-certificates-and-new-gtlds/):
`*.X` is refused when X is a public suffix, and, since a domain-list wildcard also matches
deeper names, when the Public Suffix List names a public suffix inside X.

The list is the copy shipped inside the `publicsuffixlist` package (its releases follow the
list's own), read once; nothing is fetched at run time.
"""

from __future__ import annotations

import functools
from pathlib import Path

from publicsuffixlist import PSLFILE, PublicSuffixList


@functools.cache
def _suffixes() -> tuple[PublicSuffixList, dict[str, str]]:
    """The list, and every domain that has a public suffix inside it (mapped to one such suffix)."""
    enclosing: dict[str, str] = {}
    for line in Path(PSLFILE).read_text(encoding="utf-8").splitlines():
        rule = line.strip().split(" ")[0]
        if not rule or rule.startswith("//"):
            continue
        rule = rule.lstrip("!").removeprefix("*.").lower()
        try:
            rule = rule.encode("idna").decode("ascii")  # domains are written in punycode
        except UnicodeError:
            continue
        labels = rule.split(".")
        for start in range(1, len(labels)):
            parent = ".".join(labels[start:])
            if len(rule) < len(enclosing.get(parent, rule + ".")):  # the shortest makes the clearest example
                enclosing[parent] = rule
    return PublicSuffixList(), enclosing


def wildcard_reach_problem(domain: str) -> str | None:
    """Why the wildcard of `https://*.X[:port]` reaches hosts of different owners; None when it does not."""
    if not domain.startswith("https://*."):
        return None
    remainder = domain.removeprefix("https://*.").split(":", 1)[0].split("/", 1)[0].rstrip(".").lower()
    if not remainder:
        return None
    public, enclosing = _suffixes()
    if public.is_public(remainder):
        return (f"{remainder} is a public suffix: *.{remainder} would allow every owner's hosts under it; "
                f"list your own domain (https://*.yours.{remainder}) or hosts instead")
    if remainder in enclosing:
        return (f"{remainder} holds public suffixes such as {enclosing[remainder]}: *.{remainder} would allow "
                f"hosts of other owners; list your own hosts or a wildcard below them instead")
    return None
