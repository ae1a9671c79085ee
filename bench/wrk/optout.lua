-- Opt-out: POST /x/partners/BENCH/bookings/{id}/opt_out, no body, 204.
-- Each thread opts out its own slice of the ids file, each id once, so every
-- 204 is a real write (a new opted_out event, committed before the answer);
-- a thread that runs out of ids stops and the run counts as failed. Against
-- the reference server (reference=1) the ids are cycled.
--   wrk -t2 -c64 -d10s -s bench/wrk/optout.lua http://127.0.0.1:PORT \
--     -- ids=ids.txt threads=2 out=optout.json
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local ids, next_id

common.run {
  name = "optout",
  expected = { [204] = true },
  init = function(thread_index)
    ids = common.load_ids(thread_index)
    next_id = 1
  end,
  next = function()
    if next_id > #ids then
      if not common.reference then return nil end
      next_id = 1
    end
    local id = ids[next_id]
    next_id = next_id + 1
    return "POST", "/x/partners/" .. common.partner .. "/bookings/" .. id .. "/opt_out"
  end,
}
