"""CEL's comprehension macros (all, exists, exists_one, map, filter) over list items or map keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qxo.admission.cellib import CelError, type_name

Program = Callable[[dict[str, Any]], Any]


class Comprehension:
    """One compiled macro call: the target, the bound variable and its one or two bodies."""

    __slots__ = ("bodies", "name", "target", "var")

    def __init__(self, name: str, var: str, target: Program, bodies: list[Program]) -> None:
        self.name = name
        self.var = var
        self.target = target
        self.bodies = bodies

    def program(self) -> Program:
        return {
            "all": self.all,
            "exists": self.exists,
            "exists_one": self.exists_one,
            "map": self.map,
            "filter": self.filter,
        }[self.name]

    def elements(self, env: dict[str, Any]) -> list[Any]:
        value = self.target(env)
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return list(value)
        raise CelError(f"no such overload: {type_name(value)}.{self.name}")

    def run(self, item: Any, env: dict[str, Any], body: int = 0) -> Any:
        # Bind the variable in place and restore it after: each rule evaluation owns its env dict,
        # and copying it per element dominated the cost of the macros.
        var = self.var
        missing = var not in env
        saved = env.get(var)
        env[var] = item
        try:
            return self.bodies[body](env)
        finally:
            if missing:
                del env[var]
            else:
                env[var] = saved

    def test(self, item: Any, env: dict[str, Any]) -> bool:
        result = self.run(item, env)
        if not isinstance(result, bool):
            raise CelError("no such overload")
        return result

    def all(self, env: dict[str, Any]) -> bool:
        # An error only decides the result if no element makes it false (CEL's commutative &&).
        error: CelError | None = None
        for item in self.elements(env):
            try:
                if not self.test(item, env):
                    return False
            except CelError as exc:
                error = error or exc
        if error:
            raise error
        return True

    def exists(self, env: dict[str, Any]) -> bool:
        error: CelError | None = None
        for item in self.elements(env):
            try:
                if self.test(item, env):
                    return True
            except CelError as exc:
                error = error or exc
        if error:
            raise error
        return False

    def exists_one(self, env: dict[str, Any]) -> bool:
        return sum(1 for item in self.elements(env) if self.test(item, env)) == 1

    def map(self, env: dict[str, Any]) -> list[Any]:
        if len(self.bodies) == 2:
            return [self.run(item, env, 1) for item in self.elements(env) if self.test(item, env)]
        return [self.run(item, env) for item in self.elements(env)]

    def filter(self, env: dict[str, Any]) -> list[Any]:
        return [item for item in self.elements(env) if self.test(item, env)]
