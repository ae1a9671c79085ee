-- Get quote: GET /x/partners/BENCH/quotes/{id}/, 200 with the quote package.
-- Each thread cycles through its own slice of the ids file.
--   wrk -t2 -c64 -d10s -s bench/wrk/get_quote.lua http://127.0.0.1:PORT \
--     -- ids=ids.txt threads=2 out=get_quote.json
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local ids, next_id

common.run {
  name = "get_quote",
  expected = { [200] = true },
  init = function(thread_index)
    ids = common.load_ids(thread_index)
    next_id = 1
  end,
  next = function()
    if next_id > #ids then next_id = 1 end
    local id = ids[next_id]
    next_id = next_id + 1
    return "GET", "/x/partners/" .. common.partner .. "/quotes/" .. id .. "/"
  end,
}
