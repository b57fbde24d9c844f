-- hdrl_measure.lua: measure mode for nginx + LuaJIT. The gateway measures each function's
-- traffic itself (no x-hdrl-* metric headers) and answers each request with the function's
-- cached decision, refreshed at each layer's cadence.
--
--   init_by_lua_block        { require("hdrl_measure").init_master({ lib = ..., functions = 100000 }) }
--   init_worker_by_lua_block { require("hdrl").init_worker({ lib = ..., bundle = ... }) }
--   location /m {
--     content_by_lua_block { require("hdrl_measure").handle() }
--     log_by_lua_block     { require("hdrl_measure").log() }
--   }
--
-- The function id: the location's $hdrl_function when it sets one (`set $hdrl_function resize;`
-- in `location /fn/resize { ... }`: the route names the function), else the value of the
-- function_header request header (default x-hdrl-function).
--
-- State shared by all workers. init_master runs in the nginx master before the workers fork:
-- it maps anonymous shared memory (mmap MAP_SHARED) and lays out one libhdrl table in it
-- (hdrl_table_init). Every worker inherits the mapping, so all workers record into the same
-- per-function trackers, each behind its own lock inside the table: a function's rates are its
-- whole traffic whichever worker each request lands on. The model stays per worker
-- (hdrl.lua's init_worker). Memory: hdrl_table_bytes(functions), 207 MB for 100 000 functions,
-- touched as functions arrive. A worker that dies while holding a function's lock (inside one
-- libhdrl call, microseconds) would leave that function locked: nginx restarts the worker,
-- but the function's lock is not recovered until nginx restarts.
--
-- The request's start is recorded in the content phase (with the answer), its end in the log
-- phase (latency, a cold start when the upstream answered `x-hdrl-cold: 1`, and the cost: the
-- bundle's price of the function's placement for that latency). With
-- test_clock = true (tests only) both times come from the x-hdrl-test-start / -end / -cold
-- request headers and the end is recorded right after the start, so a run is deterministic.

local ffi = require("ffi")
local hdrl = require("hdrl") -- also declares hdrl.h to the FFI

ffi.cdef([[
void *mmap(void *addr, size_t length, int prot, int flags, int fd, long offset);
typedef struct { long tv_sec; long tv_nsec; } hdrl_timespec;
int clock_gettime(int clock_id, hdrl_timespec *ts);
]])

local PROT_READ_WRITE = 3          -- PROT_READ | PROT_WRITE
local MAP_SHARED_ANONYMOUS = 0x21  -- MAP_SHARED | MAP_ANONYMOUS (Linux)
local CLOCK_REALTIME = 0
local TABLE_FULL = 9               -- HDRL_STATUS_TABLE_FULL
local COST_FROM_BUNDLE = -1.0      -- HDRL_COST_FROM_BUNDLE: the bundle prices the request

local M = {}
local table_mem, table_len, functions
local function_header, test_clock = "x-hdrl-function", false
local answer = ffi.new("hdrl_table_answer")
local ts = ffi.new("hdrl_timespec")
local fmtbuf = ffi.new("char[128]")
local hdrl_h = require("hdrl_h")

local function clock()
  ffi.C.clock_gettime(CLOCK_REALTIME, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- In the master (init_by_lua): the shared table. Errors stop nginx from starting.
function M.init_master(opts)
  local lib = ffi.load(opts.lib)
  functions = opts.functions or 100000
  function_header = opts.function_header or function_header
  test_clock = opts.test_clock == true
  table_len = lib.hdrl_table_bytes(functions)
  if table_len == 0 then error("hdrl: functions must be 1 ... 16777216 (HDRL_TABLE_MAX_FUNCTIONS)") end
  local mem = ffi.C.mmap(nil, table_len, PROT_READ_WRITE, MAP_SHARED_ANONYMOUS, -1, 0)
  if ffi.cast("intptr_t", mem) == -1 then error("hdrl: mmap of " .. tostring(table_len) .. " bytes failed") end
  local app = ffi.new("hdrl_app", {
    mean_duration_ms = opts.duration_ms or 100, memory_need_mb = opts.memory_mb or 256,
    home_region = opts.home_region or 0, sla_ms = opts.sla_ms or 1000, cpu_share = opts.cpu_share or 0.5,
  })
  local st = lib.hdrl_table_init(mem, table_len, functions, app, opts.step_s or 15)
  if st ~= 0 then
    error("hdrl: hdrl_table_init: " .. (hdrl_h.status_names[st] or tostring(st)))
  end
  table_mem = mem
end

local function number_header(h, name)
  local v = h[name]
  if type(v) == "table" then v = v[1] end
  return tonumber(v)
end

local function say(fields)
  ngx.header["content-type"] = "application/json"
  ngx.say(string.format(
    '{"function":%s,"provider":%s,"region":%s,"memory_mb":%d,"concurrency":%d,"forecast":%s,'
      .. '"observed_rps":%s,"layers":%d,"status":%s,"worker":%d}',
    hdrl.json_string(fields.fn), hdrl.json_string(fields.provider), hdrl.json_string(fields.region),
    fields.memory_mb, fields.concurrency, hdrl.json_string(fields.forecast),
    hdrl.json_string(fields.observed_rps), fields.layers, hdrl.json_string(fields.status), ngx.worker.pid()))
end

local function default(fn, status)
  say({ fn = fn, provider = "aws", region = "us-east-1", memory_mb = 128, concurrency = 1,
        forecast = nil, observed_rps = "0", layers = 0, status = status })
end

local function g(x)
  local n = ffi.C.snprintf(fmtbuf, 128, "%.9g", ffi.cast("double", x))
  return ffi.string(fmtbuf, n)
end

-- content_by_lua: record the start, answer the function's current decision as JSON.
function M.handle()
  local lib, model = hdrl.loaded()
  local h = ngx.req.get_headers()
  -- The location names its function (set $hdrl_function ID;), else the request header does.
  local fn, source = ngx.var.hdrl_function, "$hdrl_function"
  if fn == nil or fn == "" then
    fn, source = h[function_header], function_header
    if type(fn) == "table" then fn = fn[1] end
  end
  if model == nil or table_mem == nil then return default(fn, "no_model") end
  if fn == nil or #fn == 0 then return default(nil, "missing:" .. source) end
  if #fn > 128 then return default(nil, "invalid:" .. source) end
  local now, finish, cold = clock(), nil, false
  if test_clock then
    now, finish = number_header(h, "x-hdrl-test-start"), number_header(h, "x-hdrl-test-end")
    cold = number_header(h, "x-hdrl-test-cold") == 1
    if now == nil or finish == nil or finish < now then return default(fn, "invalid:x-hdrl-test-clock") end
  end
  local st = lib.hdrl_table_start(model, table_mem, table_len, ffi.cast("const uint8_t *", fn), #fn, now, nil, answer)
  if st == TABLE_FULL then return default(fn, "untracked") end
  if st ~= 0 then return default(fn, hdrl_h.status_names[st] or ("status_" .. st)) end
  if test_clock then
    lib.hdrl_table_end(model, table_mem, table_len, answer.entry, finish, (finish - now) * 1000, cold, COST_FROM_BUNDLE)
  else
    ngx.ctx.hdrl_entry, ngx.ctx.hdrl_start = answer.entry, now
  end
  local d = answer.decision
  say({ fn = fn, provider = ffi.string(d.provider_name), region = ffi.string(d.region_name),
        memory_mb = tonumber(d.memory_mb), concurrency = tonumber(d.concurrency),
        forecast = hdrl.forecast_string(d.forecast), observed_rps = g(answer.observed_rps),
        layers = tonumber(answer.layers), status = "ok" })
end

-- log_by_lua: the request ended (real clock only; test_clock records it in handle()).
function M.log()
  local entry = ngx.ctx.hdrl_entry
  if entry == nil then return end
  local lib, model = hdrl.loaded()
  local now = clock()
  local cold = ngx.var.upstream_http_x_hdrl_cold == "1"
  lib.hdrl_table_end(model, table_mem, table_len, entry, now, (now - ngx.ctx.hdrl_start) * 1000, cold, COST_FROM_BUNDLE)
end

return M
