-- ArgoCD health for every qxo.dev kind: QualtricsBrand, ExtensionInstall,
-- ExtensionAccount, AccountGrant, SalesforceLink. One script serves all five, keyed
-- in argocd-cm as resource.customizations.health.qxo.dev_<Kind> (argocd-cm.yaml).
--
-- ArgoCD runs custom checks with only Lua's base and table libraries: no string
-- library, so no string methods. Written for Lua 5.1 (ArgoCD embeds gopher-lua).

-- Conditions whose False status means a credential or preflight check failed.
local FAILED_CHECKS = {
  QualtricsBrand = { "Authenticated" },
  SalesforceLink = { "PreflightPassed", "Authenticated" },
}

-- A reason starting with "Waiting" means qxo waits on something that will come
-- (a Secret, the brand, a dependency): progress, not failure. Without the string
-- library the prefix is tested by order: such strings sort in ["Waiting", "Waitinh").
local function is_waiting(reason)
  return type(reason) == "string" and reason >= "Waiting" and reason < "Waitinh"
end

local function find_condition(conditions, condition_type)
  for _, condition in ipairs(conditions) do
    if condition.type == condition_type then
      return condition
    end
  end
  return nil
end

local function describe(condition, fallback)
  if condition ~= nil and condition.message ~= nil and condition.message ~= "" then
    return condition.message
  end
  if condition ~= nil and condition.reason ~= nil and condition.reason ~= "" then
    return condition.reason
  end
  return fallback
end

local function is_paused(metadata, conditions)
  local annotations = metadata.annotations or {}
  if annotations["qxo.dev/paused"] == "true" then
    return true
  end
  for _, condition in ipairs(conditions) do
    if condition.reason == "Paused" then
      return true
    end
  end
  return false
end

-- A condition that must be True and is not: a failure unless qxo says it waits.
local function not_true(condition, condition_type)
  if condition ~= nil and condition.status == "False" and not is_waiting(condition.reason) then
    return "Degraded", describe(condition, condition_type .. " is False")
  end
  return "Progressing", describe(condition, "Waiting for " .. condition_type)
end

local function health(object)
  local metadata = object.metadata or {}
  local status = object.status or {}
  local conditions = status.conditions or {}

  if is_paused(metadata, conditions) then
    return "Suspended", "Paused: qxo changes nothing in the brand until qxo.dev/paused is removed"
  end
  if metadata.deletionTimestamp ~= nil then
    return "Progressing", "Deleting: waiting for qxo to release the remote object"
  end
  if #conditions == 0 then
    return "Progressing", "Waiting for qxo to report status"
  end
  local generation = tonumber(metadata.generation)
  local observed = tonumber(status.observedGeneration)
  if generation ~= nil and (observed == nil or observed < generation) then
    return "Progressing", "Waiting for qxo to observe generation " .. generation
  end

  local stalled = find_condition(conditions, "Stalled")
  if stalled ~= nil and stalled.status == "True" then
    return "Degraded", describe(stalled, "Stalled")
  end
  for _, check in ipairs(FAILED_CHECKS[object.kind] or {}) do
    local condition = find_condition(conditions, check)
    if condition ~= nil and condition.status == "False" and not is_waiting(condition.reason) then
      return "Degraded", describe(condition, check .. " is False")
    end
  end
  local reconciling = find_condition(conditions, "Reconciling")
  if reconciling ~= nil and reconciling.status == "True" then
    return "Progressing", describe(reconciling, "Reconciling")
  end

  local ready = find_condition(conditions, "Ready")
  if ready == nil or ready.status ~= "True" then
    return not_true(ready, "Ready")
  end
  local synced = find_condition(conditions, "Synced")
  if synced == nil or synced.status ~= "True" then
    return not_true(synced, "Synced")
  end
  return "Healthy", describe(ready, "Ready")
end

local hs = {}
hs.status, hs.message = health(obj)
return hs
