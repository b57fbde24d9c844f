-- hdrl.lua: libhdrl in nginx through LuaJIT's FFI (the OpenResty / Kong pattern).
--
--   init_worker_by_lua_block {
--     require("hdrl").init_worker({ lib = "/path/libhdrl.so", bundle = "/path/bundle.hdrl" })
--   }
--   location = /decide { content_by_lua_block { require("hdrl").handle() } }
--
-- init_worker loads one model per nginx worker (LuaJIT VMs are per worker) and keeps a table
-- of per-function states in that worker. handle() answers each request with a JSON decision
-- made from the request's x-hdrl-* headers; the header contract is the same as the Envoy
-- filter's (examples/reference/hdrl_http.h and examples/nginx-lua/README.md), implemented
-- again here in Lua; the test compares the two through hdrl_ref.
--
-- The FFI declarations come from hdrl_h.lua, which gen-cdef.sh generates from include/hdrl.h.

local ffi = require("ffi")
local hdrl_h = require("hdrl_h")

ffi.cdef(hdrl_h.cdef)
ffi.cdef([[
double strtod(const char *nptr, char **endptr);
int snprintf(char *str, size_t size, const char *format, ...);
]])

local M = {}

local lib, model, load_failure
local states, nstates = {}, 0
local max_functions = 1024
local msgbuf = ffi.new("char[?]", hdrl_h.MESSAGE_MAX)
local msglen = ffi.new("size_t[1]")
local steps_out = ffi.new("size_t[1]")
local obs = ffi.new("hdrl_observation")
local decision = ffi.new("hdrl_decision")
local fmtbuf = ffi.new("char[128]")

-- The scalar observation fields in hdrl.h order: the index is the one in the library's
-- detail ("input #23 ..."); names are what x-hdrl-obs accepts. The carbon arrays (indices
-- 28-51) stay 0 (unknown).
local FIELDS = {
  "strategic_cost_usd_per_m", "strategic_cost_trend", "strategic_latency_p50_ms",
  "strategic_latency_p95_ms", "strategic_latency_p99_ms", "strategic_daily_invocations",
  "strategic_daily_invocations_cv", "strategic_peak_to_mean", "strategic_volume_trend",
  "app_mean_duration_ms", "app_memory_need_mb", "app_home_region", "app_sla_ms", "app_cpu_share",
  "tactical_latency_ms", "tactical_cost_usd_per_m", "tactical_request_rate",
  "tactical_memory_used_mb", "tactical_cpu_util", "tactical_queue_depth",
  "tactical_cold_start_prob", "tactical_region_rank", "tactical_memory_tier",
  "step_request_rate", "step_memory_used_mb", "step_cpu_util", "step_queue_depth", "step_hour_of_day",
}
-- The uint8_t fields.
local U8 = { app_home_region = true, tactical_region_rank = true, tactical_memory_tier = true }
local FIELD_INDEX = {}
for i, name in ipairs(FIELDS) do FIELD_INDEX[name] = i - 1 end

-- The metric headers in the order they apply; absent = "required" | "zero" | "clock" | "skip".
local HEADERS = {
  { "x-hdrl-rps", "required", { "step_request_rate", "tactical_request_rate" } },
  { "x-hdrl-mem-mb", "required", { "step_memory_used_mb", "tactical_memory_used_mb", "app_memory_need_mb" } },
  { "x-hdrl-duration-ms", "required", { "app_mean_duration_ms" } },
  { "x-hdrl-cpu", "zero", { "step_cpu_util", "tactical_cpu_util" } },
  { "x-hdrl-inflight", "zero", { "step_queue_depth", "tactical_queue_depth" } },
  { "x-hdrl-hour", "clock", { "step_hour_of_day" } },
  { "x-hdrl-mem-need-mb", "skip", { "app_memory_need_mb" } },
}

local DEFAULT = { provider = "aws", region = "us-east-1", memory_mb = 128, concurrency = 1 }

local function message(fn, arg)
  local st
  if arg == nil then st = fn(msgbuf, hdrl_h.MESSAGE_MAX, msglen) else st = fn(arg, msgbuf, hdrl_h.MESSAGE_MAX, msglen) end
  if st ~= 0 then return "?" end
  return ffi.string(msgbuf, msglen[0])
end

-- Strict numbers: [+-]digits[.digits][e[+-]digits], or nan/inf/infinity (any case, optional
-- sign) so that a NaN or infinite metric reaches the library and comes back as its status.
-- The value is C's strtod, later rounded to float by the FFI, exactly as the C code does.
local function parse_number(s)
  if s == nil or #s == 0 or #s > 32 then return nil end
  local sign, rest = s:match("^([+-]?)(.*)$")
  local word = rest:lower()
  if word == "nan" then return 0 / 0 end
  if word == "inf" or word == "infinity" then return sign == "-" and -math.huge or math.huge end
  local mantissa = rest:match("^([^eE]*)[eE][+-]?%d+$") or rest
  if mantissa:find("[eE]") then return nil end
  if not (mantissa:match("^%d+%.?%d*$") or mantissa:match("^%.%d+$")) then return nil end
  return ffi.C.strtod(s, nil)
end

local function parse_u8(s)
  if s == nil or not s:match("^%d%d?%d?$") then return nil end
  local n = tonumber(s)
  if n > 255 then return nil end
  return n
end

local function trim(s) return (s:gsub("^[ \t]+", ""):gsub("[ \t]+$", "")) end

-- x-hdrl-obs: "name=value,name=value", spaces and tabs around names and values allowed.
local function parse_obs(v, source)
  if #v > 1024 or v:sub(-1) == "," then return false end
  if v == "" then return true end
  for item in (v .. ","):gmatch("([^,]*),") do
    local name, value = item:match("^([^=]*)=(.*)$")
    if not name then return false end
    name, value = trim(name), trim(value)
    local idx = FIELD_INDEX[name]
    if idx == nil then return false end
    if U8[name] then
      local n = parse_u8(value)
      if n == nil then return false end
      obs[name] = n
    else
      local x = parse_number(value)
      if x == nil then return false end
      obs[name] = x
    end
    source[idx] = "x-hdrl-obs"
  end
  return true
end

local function clock_hour()
  local now = ngx.now()
  return (now % 86400) / 3600
end

local function first(h, name)
  local v = h[name]
  if type(v) == "table" then v = v[1] end
  return v
end

-- Fills obs from the headers. Returns function id and the field sources, or nil and a status.
local function parse_request(h)
  local fn = first(h, "x-hdrl-function")
  if fn == nil then return nil, "missing:x-hdrl-function" end
  if #fn == 0 or #fn > 128 or fn:find("[^\33-\126]") then return nil, "invalid:x-hdrl-function" end
  ffi.fill(obs, ffi.sizeof(obs))
  local source = {}
  for _, spec in ipairs(HEADERS) do
    local name, absent, fields = spec[1], spec[2], spec[3]
    local v, x = first(h, name), 0
    if v == nil then
      if absent == "required" then return nil, "missing:" .. name end
      if absent == "clock" then x = clock_hour() end
    else
      x = parse_number(v)
      if x == nil then return nil, "invalid:" .. name end
    end
    if not (v == nil and absent == "skip") then
      for _, f in ipairs(fields) do
        obs[f] = x
        source[FIELD_INDEX[f]] = name
      end
    end
  end
  local o = first(h, "x-hdrl-obs")
  if o ~= nil and not parse_obs(o, source) then return nil, "invalid:x-hdrl-obs" end
  return fn, source
end

-- "<status name>:<header>" for a failed hdrl_decide (the field from the library's detail).
local function decide_status(st, source)
  local name = hdrl_h.status_names[st] or ("status_" .. st)
  if st ~= 200 and st ~= 201 then return name end
  local idx = tonumber(message(lib.hdrl_last_error_message):match("#(%d+)"))
  local src = idx and source[idx]
  if src == nil then return name end
  if src == "x-hdrl-obs" then return name .. ":x-hdrl-obs." .. FIELDS[idx + 1] end
  return name .. ":" .. src
end

local function default_decision(status)
  return { provider = DEFAULT.provider, region = DEFAULT.region, memory_mb = DEFAULT.memory_mb,
           concurrency = DEFAULT.concurrency, steps = nil, forecast = nil, status = status }
end

local function state_for(fn)
  local s = states[fn]
  if s ~= nil or nstates >= max_functions then return s end
  local out = ffi.new("hdrl_state *[1]")
  if lib.hdrl_state_new(out) ~= 0 then return nil end
  s = ffi.gc(out[0], lib.hdrl_state_free)
  states[fn] = s
  nstates = nstates + 1
  return s
end

-- The decision for one request's headers (a table as ngx.req.get_headers returns it).
function M.decide(h)
  if model == nil then return default_decision("no_model"), nil end
  local fn, source = parse_request(h)
  if fn == nil then return default_decision(source), nil end
  local state, ok_status = state_for(fn), "ok"
  if state == nil then
    local out = ffi.new("hdrl_state *[1]")
    if lib.hdrl_state_new(out) ~= 0 then return default_decision("no_state"), fn end
    state, ok_status = ffi.gc(out[0], lib.hdrl_state_free), "ok:untracked"
  end
  local st = lib.hdrl_decide(model, state, obs, decision)
  if st ~= 0 then return default_decision(decide_status(st, source)), fn end
  lib.hdrl_state_steps(state, steps_out)
  return {
    provider = ffi.string(decision.provider_name),
    region = ffi.string(decision.region_name),
    memory_mb = tonumber(decision.memory_mb),
    concurrency = tonumber(decision.concurrency),
    steps = tonumber(steps_out[0]),
    forecast = M.forecast_string(decision.forecast),
    status = ok_status,
  }, fn
end

-- A forecast as the gateways report it: "<rps> <memory MB> <cpu> <model|warming_up>". C's
-- printf, not string.format: LuaJIT's %g rounds ties differently from glibc's.
function M.forecast_string(f)
  local n = ffi.C.snprintf(fmtbuf, 128, "%.9g %.9g %.9g %s", f.request_rate, f.memory_used_mb,
                           f.cpu_util, f.source == 0 and "model" or "warming_up")
  return ffi.string(fmtbuf, n)
end

local function json_string(s)
  if s == nil then return "null" end
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function json(d, fn)
  return string.format(
    '{"function":%s,"provider":%s,"region":%s,"memory_mb":%d,"concurrency":%d,'
      .. '"steps":%s,"forecast":%s,"status":%s}',
    json_string(fn), json_string(d.provider), json_string(d.region), d.memory_mb, d.concurrency,
    d.steps and tostring(d.steps) or "null", json_string(d.forecast), json_string(d.status))
end

function M.init_worker(opts)
  max_functions = opts.max_functions or max_functions
  local ok, l = pcall(ffi.load, opts.lib)
  if not ok then
    load_failure = "cannot load " .. tostring(opts.lib) .. ": " .. tostring(l)
    ngx.log(ngx.ERR, "hdrl: ", load_failure, "; decisions answer 503 no_model")
    return
  end
  lib = l
  local v = lib.hdrl_version()
  if bit.rshift(v, 16) ~= hdrl_h.VERSION_MAJOR or (hdrl_h.VERSION_MAJOR == 0 and
      bit.band(bit.rshift(v, 8), 0xff) ~= hdrl_h.VERSION_MINOR) then
    load_failure = "libhdrl " .. ffi.string(lib.hdrl_version_string()) .. " does not match hdrl.h "
      .. hdrl_h.VERSION_MAJOR .. "." .. hdrl_h.VERSION_MINOR
    ngx.log(ngx.ERR, "hdrl: ", load_failure, "; decisions answer 503 no_model")
    return
  end
  local out = ffi.new("hdrl_model *[1]")
  local st = lib.hdrl_model_load_file(opts.bundle, out)
  if st ~= 0 then
    load_failure = string.format("cannot load bundle '%s': %s (%s)", opts.bundle,
      message(lib.hdrl_status_message, st), message(lib.hdrl_last_error_message))
    ngx.log(ngx.ERR, "hdrl: ", load_failure, "; decisions answer 503 no_model")
    return
  end
  model = ffi.gc(out[0], lib.hdrl_model_free)
  ngx.log(ngx.INFO, "hdrl: worker ", ngx.worker.pid(), " loaded bundle '", opts.bundle,
    "' with libhdrl ", ffi.string(lib.hdrl_version_string()), ", states for ", max_functions,
    " functions")
end

-- This worker's library and model (nil, nil and the reason when loading failed), for
-- hdrl_measure.lua.
function M.loaded()
  return lib, model, load_failure
end

-- A JSON string literal (nil gives null).
M.json_string = json_string

-- content_by_lua: 200 with the decision (a default one with the reason in "status" for bad
-- input), 503 when this worker has no model.
function M.handle()
  local d, fn = M.decide(ngx.req.get_headers())
  ngx.status = model and ngx.HTTP_OK or ngx.HTTP_SERVICE_UNAVAILABLE
  ngx.header["content-type"] = "application/json"
  ngx.say(json(d, fn))
end

return M
