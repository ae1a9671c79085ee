-- What the wrk scenario scripts (optout.lua, create_quote.lua, get_quote.lua,
-- checkout.lua) share: their arguments, the request signer, the package ids
-- of each thread, status counting, and done()'s JSON summary.
--
-- Every request is signed as a partner signs it (src/auth/signer.cpp,
-- src/client/signer.cpp): Date, X-Api-Key and
--   Authorization: Signature keyId="K",algorithm="hmac-sha512",
--     headers="(request-target) date",signature="<urlencoded base64>"
-- over "(request-target): post /x/partners/BENCH/...\ndate: <RFC 1123 date>",
-- the HMAC computed by libcrypto through LuaJIT's FFI. The Date is formatted
-- once per second per thread; the HMAC is computed for every request.
--
-- Arguments, after the URL: `wrk ... -s SCRIPT URL -- key=value ...`
--   out=FILE        done() writes the JSON summary there (required)
--   threads=N       wrk's -t, so that each thread takes its own slice of ids
--   ids=FILE        package ids, one a line (opt-out, get quote; checkout
--                   against the reference server)
--   reference=1     the target ignores the request (nginx answering 204):
--                   ids are cycled instead of used once, and the checkout
--                   makes up its follow-up requests (see checkout.lua)
--   partner=CODE    default BENCH
--   selftest=FILE   thread 1 writes the Authorization header it computes
--                   for a fixed date and path there, for http_bench to
--                   compare with the C++ signer's
-- Environment: OFFERLEDGER_BENCH_KEY and OFFERLEDGER_BENCH_SECRET (the API
-- key and secret; the environment keeps the secret off the command line).
--
-- Per thread, as plain globals (wrk copies tables between Lua states badly,
-- so only numbers, strings and booleans cross): n200, n201, n204 and n_other
-- responses, n_bad expected responses the scenario could not use (a 201
-- without ids), the first unexpected one in first_error, requests handed to
-- wrk in sent, and the thread's id slice (slice_first, 1-based, slice_size).
-- done() runs in wrk's main Lua state, which never sees the arguments: it
-- reads them (out_path, ...) from thread 1.
local ffi = require("ffi")

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha512(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const char *d, size_t n, unsigned char *md, unsigned int *md_len);
int EVP_EncodeBlock(unsigned char *t, const unsigned char *f, int n);
unsigned long pthread_self(void);
]]

local crypto = ffi.load("libcrypto.so.3")
local sha512 = crypto.EVP_sha512()
local mac = ffi.new("unsigned char[64]")
local mac_len = ffi.new("unsigned int[1]")
local b64 = ffi.new("unsigned char[92]") -- 4 * ceil(64 / 3) + NUL

local M = {}

M.quote_body = '{"request": [{"policy_type": "event_ticket_protection", "policy_type_version": 1,'
  .. ' "policy_start_date": "2021-10-01T00:29:29Z", "event_datetime": "2021-10-10T13:44:15Z",'
  .. ' "event_name": "Ariana Grande", "event_location": "The O2", "number_of_tickets": 2,'
  .. ' "tickets": [{"price": 100}], "resale_ticket": false, "event_country": "GB"}],'
  .. ' "currency": "GBP", "customer_country": "GB"}' -- bench/load_support.h kQuoteBody

-- ------------------------------------------------------------------ signing

local escapes = { ["+"] = "%2B", ["/"] = "%2F", ["="] = "%3D" }

-- UrlEncode(Base64(HMAC-SHA512(secret, text))), as src/auth/hmac.cpp.
function M.signature(secret, text)
  if crypto.HMAC(sha512, secret, #secret, text, #text, mac, mac_len) == nil then
    error("HMAC failed in libcrypto")
  end
  local n = crypto.EVP_EncodeBlock(b64, mac, mac_len[0])
  return (ffi.string(b64, n):gsub("[+/=]", escapes))
end

function M.authorization(key, secret, method, path, date)
  local text = "(request-target): " .. method:lower() .. " " .. path .. "\ndate: " .. date
  return 'Signature keyId="' .. key .. '",algorithm="hmac-sha512",'
    .. 'headers="(request-target) date",signature="' .. M.signature(secret, text) .. '"'
end

local date_second, date_text = -1, nil
local function http_date()
  local now = os.time()
  if now ~= date_second then
    date_second = now
    date_text = os.date("!%a, %d %b %Y %H:%M:%S GMT", now)
  end
  return date_text
end

-- ------------------------------------------------------------------ state

M.args = {}
local key, secret, host
local main_thread -- the OS thread that ran init(): wrk's, not the load thread's
local running = false

-- Per-thread results (globals: read by done() through thread:get).
n200, n201, n204, n_other, n_bad, sent = 0, 0, 0, 0, 0, 0
n4xx, n5xx, n_booked = 0, 0, 0 -- n_other by class; bookings' 200s (soak.lua counts them)
first_error = ""
out_path, scenario_name, reference = "", "", false
slice_first, slice_size = 1, 0
exhausted = false

-- The signed request for `method path`, with `body` (nil: none).
function M.request(method, path, body)
  local date = http_date()
  local parts = {
    method, " ", path, " HTTP/1.1\r\nHost: ", host, "\r\nDate: ", date,
    "\r\nX-Api-Key: ", key, "\r\nAuthorization: ",
    M.authorization(key, secret, method, path, date), "\r\n",
  }
  if body then
    parts[#parts + 1] = "Content-Type: application/json\r\nContent-Length: "
    parts[#parts + 1] = tostring(#body)
    parts[#parts + 1] = "\r\n\r\n"
    parts[#parts + 1] = body
  elseif method == "POST" then
    parts[#parts + 1] = "Content-Length: 0\r\n\r\n"
  else
    parts[#parts + 1] = "\r\n"
  end
  return table.concat(parts)
end

-- This thread's package ids (its contiguous slice of the ids file).
function M.load_ids(thread_index)
  local path = M.args.ids or error("the scenario needs ids=FILE")
  local all = {}
  for line in io.lines(path) do
    if #line > 0 then all[#all + 1] = line end
  end
  local threads = tonumber(M.args.threads or "1")
  local from = math.floor((thread_index - 1) * #all / threads) + 1
  local to = math.floor(thread_index * #all / threads)
  local mine = {}
  for i = from, to do mine[#mine + 1] = all[i] end
  slice_first, slice_size = from, #mine
  if #mine == 0 then error("no package ids for thread " .. thread_index .. " in " .. path) end
  return mine
end

-- An expected response the scenario cannot use (e.g. a 201 without ids).
function M.fail(what)
  n_bad = n_bad + 1
  if first_error == "" then first_error = what end
end

local function json_string(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. s .. '"'
end

-- ------------------------------------------------------------------ the scenario

-- Installs wrk's callbacks for `scenario`:
--   name
--   expected = { [status] = true, ... }  (the reference target: 204 only)
--   init(thread_index)                  optional, after the arguments are read
--   next() -> method, path, body|nil    the next request (nil: out of ids)
--   on_response(status, body)           optional
function M.run(scenario)
  local threads = {}

  function setup(thread)
    threads[#threads + 1] = thread
    thread:set("thread_index", #threads)
  end

  function init(args)
    for i = 0, #args do
      local k, v = tostring(args[i]):match("^([%w_]+)=(.*)$")
      if k then M.args[k] = v end
    end
    M.reference = M.args.reference == "1"
    out_path, scenario_name, reference = M.args.out or "", scenario.name, M.reference
    if out_path == "" then error("out=FILE is required") end
    M.partner = M.args.partner or "BENCH"
    key = os.getenv("OFFERLEDGER_BENCH_KEY") or error("OFFERLEDGER_BENCH_KEY is not set")
    secret = os.getenv("OFFERLEDGER_BENCH_SECRET") or error("OFFERLEDGER_BENCH_SECRET is not set")
    host = wrk.headers["Host"] or (wrk.host .. ":" .. wrk.port)
    main_thread = ffi.C.pthread_self()
    if M.reference then scenario.expected = { [204] = true } end
    if scenario.init then scenario.init(thread_index) end
    if M.args.selftest and thread_index == 1 then
      local f = assert(io.open(M.args.selftest, "w"))
      f:write(M.authorization(key, secret, "POST", "/x/partners/" .. M.partner
        .. "/bookings/PYWUR-TAPHT-INS/opt_out", "Thu, 04 Nov 2021 18:07:11 GMT"))
      f:close()
    end
  end

  function request()
    if not running then
      -- wrk calls request() once on its own thread to check the script
      -- before the run: that request is never sent, so it takes no id.
      if ffi.C.pthread_self() == main_thread then return M.request("GET", "/healthz") end
      running = true
    end
    local method, path, body = scenario.next()
    if not method then
      -- Out of distinct packages: http_bench reports the run as failed.
      exhausted = true
      wrk.thread:stop()
      return M.request("GET", "/healthz")
    end
    sent = sent + 1
    return M.request(method, path, body)
  end

  function response(status, headers, body)
    if not scenario.expected[status] then
      n_other = n_other + 1
      if status >= 500 then
        n5xx = n5xx + 1
      elseif status >= 400 then
        n4xx = n4xx + 1
      end
      if first_error == "" then first_error = "status " .. status .. ": " .. body:sub(1, 300) end
      return
    end
    if status == 204 then
      n204 = n204 + 1
    elseif status == 201 then
      n201 = n201 + 1
    elseif status == 200 then
      n200 = n200 + 1
    end
    if scenario.on_response then scenario.on_response(status, body) end
  end

  function done(summary, latency, requests)
    local out = assert(io.open(threads[1]:get("out_path"), "w"))
    local totals = { n200 = 0, n201 = 0, n204 = 0, n_other = 0, n_bad = 0, sent = 0, n4xx = 0,
      n5xx = 0, n_booked = 0 }
    local per_thread = {}
    local first = ""
    local ran_out = false
    for i, t in ipairs(threads) do
      for k in pairs(totals) do totals[k] = totals[k] + t:get(k) end
      if first == "" then first = t:get("first_error") end
      ran_out = ran_out or t:get("exhausted")
      per_thread[i] = string.format('{"thread":%d,"slice_first":%d,"slice_size":%d,"sent":%d}',
        i, t:get("slice_first"), t:get("slice_size"), t:get("sent"))
    end
    local e = summary.errors
    out:write(string.format(
      '{"scenario":%s,"reference":%s,"duration_us":%d,"requests":%d,"bytes":%d,'
      .. '"status":{"200":%d,"201":%d,"204":%d,"other":%d,"4xx":%d,"5xx":%d},"booked":%d,'
      .. '"unusable":%d,"sent":%d,"exhausted":%s,'
      .. '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p99.9":%d},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"first_error":%s,"threads":[%s]}\n',
      json_string(threads[1]:get("scenario_name")), tostring(threads[1]:get("reference")),
      summary.duration, summary.requests, summary.bytes, totals.n200, totals.n201, totals.n204,
      totals.n_other, totals.n4xx, totals.n5xx, totals.n_booked, totals.n_bad, totals.sent, tostring(ran_out), latency.mean,
      math.floor(latency.max), math.floor(latency:percentile(50)),
      math.floor(latency:percentile(90)), math.floor(latency:percentile(99)),
      math.floor(latency:percentile(99.9)), e.connect, e.read, e.write, e.status, e.timeout,
      json_string(first), table.concat(per_thread, ",")))
    out:close()
  end
end

return M
