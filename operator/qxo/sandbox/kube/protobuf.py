"""Decode the protobuf bodies `kubectl create namespace|configmap|secret` send for built-in kinds.

kubectl's typed clients write protobuf and do not fall back to JSON, so without this a newcomer's
`kubectl create secret generic ...` would fail. Only the kinds and fields those commands send are mapped.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from qxo.sandbox.kube.errors import ApiError

MAGIC = b"k8s\x00"
Fields = dict[int, list[Any]]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> Fields:
    """Field number -> values; length-delimited values stay bytes, varints become ints."""
    out: Fields = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def _str(values: list[Any] | None) -> str | None:
    return values[-1].decode() if values else None


def _map(values: list[Any] | None, as_bytes: bool = False) -> dict[str, str] | None:
    if not values:
        return None
    out = {}
    for entry in values:
        item = fields(entry)
        raw = item.get(2, [b""])[-1]
        out[_str(item.get(1)) or ""] = base64.b64encode(raw).decode() if as_bytes else raw.decode()
    return out


def _time(values: list[Any] | None) -> str | None:
    if not values:
        return None
    seconds = fields(values[-1]).get(1, [0])[-1]
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _object_meta(raw: bytes) -> dict[str, Any]:
    f = fields(raw)
    meta: dict[str, Any] = {
        "name": _str(f.get(1)), "generateName": _str(f.get(2)), "namespace": _str(f.get(3)),
        "resourceVersion": _str(f.get(6)), "labels": _map(f.get(11)), "annotations": _map(f.get(12)),
        "creationTimestamp": _time(f.get(8)),
        "finalizers": [v.decode() for v in f.get(14, [])] or None,
    }
    return {k: v for k, v in meta.items() if v}


def _namespace(f: Fields) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    if f.get(2):
        finalizers = [v.decode() for v in fields(f[2][-1]).get(1, [])]
        obj["spec"] = {"finalizers": finalizers} if finalizers else {}
    return obj


def _configmap(f: Fields) -> dict[str, Any]:
    obj: dict[str, Any] = {"data": _map(f.get(2)), "binaryData": _map(f.get(3), as_bytes=True)}
    if f.get(4):
        obj["immutable"] = bool(f[4][-1])
    return obj


def _secret(f: Fields) -> dict[str, Any]:
    obj: dict[str, Any] = {"data": _map(f.get(2), as_bytes=True), "type": _str(f.get(3)),
                           "stringData": _map(f.get(4))}
    if f.get(5):
        obj["immutable"] = bool(f[5][-1])
    return obj


KINDS = {("v1", "Namespace"): _namespace, ("v1", "ConfigMap"): _configmap, ("v1", "Secret"): _secret}


def decode(body: bytes) -> dict[str, Any]:
    if not body.startswith(MAGIC):
        raise ApiError(400, "protobuf body lacks the k8s envelope")
    try:
        unknown = fields(body[len(MAGIC):])
        type_meta = fields(unknown.get(1, [b""])[-1])
        api_version, kind = _str(type_meta.get(1)) or "", _str(type_meta.get(2)) or ""
        decoder = KINDS.get((api_version, kind))
        if decoder is None:
            raise ApiError(415, f"the body of the request was in an unknown format - protobuf is accepted only for "
                                f"Namespace, ConfigMap and Secret, not {api_version}/{kind}; send application/json")
        raw = fields(unknown.get(2, [b""])[-1])
        obj = {"apiVersion": api_version, "kind": kind,
               "metadata": _object_meta(raw.get(1, [b""])[-1]), **decoder(raw)}
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, f"unable to decode protobuf body: {error}") from None
    return {k: v for k, v in obj.items() if v is not None}
