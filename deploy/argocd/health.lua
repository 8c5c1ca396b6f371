-- Argo CD health of the ecs-bridge kinds (group ecsbridge.dev): one script for every kind, the kinds differing only
-- in the data of KINDS below. Argo CD runs it with the object as the global `obj`, in Lua 5.1 with the base, table
-- and os libraries only (no string or math functions). deploy/argocd/render.sh puts it, unchanged, under one
-- resource.customizations.health key per kind; tests/argocd_health.rs runs it with lua5.1 over the objects in
-- tests/fixtures/argocd-health/.
--
-- From the kstatus conditions and observedGeneration the operator writes, the first rule that holds decides:
--   no status yet, or status.observedGeneration < metadata.generation  -> Progressing (the change is not seen yet),
--     unless Synced=False for this generation with a reason of NEEDS_A_PERSON (below): Degraded (an object never
--     placed in an account records no status.observedGeneration)
--   a run (EcsTask): Complete=True -> Healthy, Failed=True               -> Degraded
--   spec.suspend on a kind that can be suspended (EcsCronTask), first as in Argo CD's own CronJob check
--                                                                        -> Suspended
--   Degraded=True (a failed or rolled back rollout; an EcsCronTask whose newest run to finish failed, as Argo
--   CD's own CronJob check answers)                                      -> Degraded
--   Synced=False with a reason retrying does not fix (NEEDS_A_PERSON: the spec, the operator's IAM policy, an
--   object of another owner, a request ECS refused such as a ClientException, shown as RejectedByEcs or under
--   ECS's own error code)                                                -> Degraded, with ECS's message
--   Ready=False with a reason of the kind's degradedReadyReasons (a capacity provider in UPDATE_FAILED)
--                                                                        -> Degraded
--   Paused=True (an EcsService deployment held by a PAUSE lifecycle hook, waiting for ecsbridge.dev/continue or
--   ecsbridge.dev/rollback, or for the hook's time-out)                  -> Suspended, with the condition's message
--   Ready=True                                                           -> Healthy
--   otherwise                                                            -> Progressing, with the message of the
--                                                                           condition that says why

local KINDS = {
  EcsCluster = {},
  TaskDefinition = {},
  EcsService = {},
  CapacityProvider = { degradedReadyReasons = { UpdateFailed = true } },
  EcsExpressService = {},
  EcsGateway = { degradedReadyReasons = { UpdateFailed = true } },
  DaemonTaskDefinition = {},
  EcsDaemon = {},
  EcsTask = { run = true, waiting = "Waiting for the tasks to finish" },
  EcsCronTask = { suspendable = true },
}

-- Synced=False reasons that retrying does not fix: a person must change the spec, the IAM policy, the ownership or
-- (a cluster administrator) the namespace's EcsAccount binding.
local NEEDS_A_PERSON = {
  InvalidSpec = true, AccessDenied = true, AlreadyExists = true, OwnedByAnother = true, RejectedByEcs = true,
  ClientException = true, InvalidParameterException = true, AmbiguousAccount = true, AccountChanged = true
}

local kind = KINDS[obj.kind] or {}
local status = obj.status

local function health(state, message)
  return { status = state, message = message }
end

local function condition(wanted)
  if status ~= nil and status.conditions ~= nil then
    for _, c in ipairs(status.conditions) do
      if c.type == wanted then
        return c
      end
    end
  end
  return nil
end

local function is(c, value)
  return c ~= nil and c.status == value
end

-- The condition's message, else its reason, else the fallback.
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

if status == nil then
  return health("Progressing", "Waiting for ecs-bridge to report a status")
end
local ready = condition("Ready")
local synced = condition("Synced")
local generation = obj.metadata.generation

if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  -- An object the operator could not place (its namespace bound to two EcsAccounts, a region its account does not
  -- allow) records no status.observedGeneration; its Synced condition names the generation it is about.
  if is(synced, "False") and NEEDS_A_PERSON[synced.reason] and synced.observedGeneration == generation then
    return health("Degraded", describe(synced, "Cannot be applied to ECS"))
  end
  return health("Progressing", "Waiting for ecs-bridge to observe generation " .. generation)
end

if kind.run then
  local complete = condition("Complete")
  if is(complete, "True") then
    return health("Healthy", describe(complete, "Complete"))
  end
  local failed = condition("Failed")
  if is(failed, "True") then
    return health("Degraded", describe(failed, "Failed"))
  end
end

if kind.suspendable and obj.spec ~= nil and obj.spec.suspend == true then
  return health("Suspended", obj.kind .. " is suspended: no new runs start")
end
local degraded = condition("Degraded")
if is(degraded, "True") then
  return health("Degraded", describe(degraded, "The rollout failed"))
end
if is(synced, "False") and NEEDS_A_PERSON[synced.reason] then
  return health("Degraded", describe(synced, "Cannot be applied to ECS"))
end
if is(ready, "False") and kind.degradedReadyReasons ~= nil and kind.degradedReadyReasons[ready.reason] then
  return health("Degraded", describe(ready, ready.reason))
end

local paused = condition("Paused")
if is(paused, "True") then
  return health("Suspended", describe(paused, "Paused at a lifecycle hook"))
end
if is(ready, "True") then
  return health("Healthy", describe(ready, "Ready"))
end
local progressing = condition("Progressing")
if is(progressing, "True") then
  return health("Progressing", describe(progressing, "Rolling out"))
end
if is(synced, "False") then
  return health("Progressing", describe(synced, "Not synced with ECS yet"))
end
if kind.run then
  return health("Progressing", describe(condition("Complete"), kind.waiting))
end
return health("Progressing", describe(ready, "Waiting for the Ready condition"))
