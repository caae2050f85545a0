"""Runs the ArgoCD health script the way ArgoCD does: Lua 5.1, base and table libraries only.

ArgoCD embeds gopher-lua (Lua 5.1) and gives custom health checks the base and table
libraries, a global `obj`, and no string library. The sandbox below gives the script
exactly that, so a script that works here works there; a line hook records which
lines ran so tests can prove the fixtures reach every branch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lupa import lua51

CHUNK_NAME = "=qxo-health.lua"
BASE_FUNCTIONS = (
    "assert error getmetatable ipairs next pairs pcall rawequal rawget rawset select "
    "setmetatable tonumber tostring type unpack xpcall"
).split()

_HARNESS = """
local script, chunk_name, base_names = ...
local coverage = { hits = {}, active = {}, functions = {} }
-- Strings lose their metatable: without the string library ("x"):sub(1) must fail.
debug.setmetatable("", nil)

local function hook(event, line)
  local info = debug.getinfo(2, "SL")
  if info.source == chunk_name then
    coverage.hits[line] = true
    coverage.functions[info.linedefined] = true
    for active in pairs(info.activelines or {}) do coverage.active[active] = true end
  end
end

local function run(object)
  local env = { obj = object, table = table }
  for _, name in ipairs(base_names) do env[name] = _G[name] end
  local chunk = assert(loadstring(script, chunk_name))
  setfenv(chunk, env)
  debug.sethook(hook, "l")
  local ok, result = pcall(chunk)
  debug.sethook()
  if not ok then error(result, 0) end
  return result
end

return run, coverage
"""


@dataclass
class HealthScript:
    source: str
    runtime: lua51.LuaRuntime = field(init=False)

    def __post_init__(self):
        self.runtime = lua51.LuaRuntime()
        base_names = self.runtime.table_from(BASE_FUNCTIONS)
        self._run, self._coverage = self.runtime.execute(_HARNESS, self.source, CHUNK_NAME, base_names)

    @classmethod
    def load(cls, path: Path) -> HealthScript:
        return cls(path.read_text())

    def evaluate(self, obj: dict) -> dict:
        result = self._run(self.runtime.table_from(obj, recursive=True))
        return dict(result.items())

    def uncovered_lines(self) -> list[int]:
        """Lines with code that no evaluation ran; a lone `end` or `else` carries no decision."""
        hits = set(self._coverage.hits.keys())
        active = set(self._coverage.active.keys())
        lines = self.source.splitlines()
        return sorted(n for n in active - hits if lines[n - 1].strip() not in {"end", "else"})

    def functions_never_entered(self) -> list[int]:
        entered = set(self._coverage.functions.keys())
        defined = {n for n, line in enumerate(self.source.splitlines(), 1) if re.search(r"\bfunction\b", line)}
        return sorted(defined - entered)
