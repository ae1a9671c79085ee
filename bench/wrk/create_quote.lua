-- Create quote: POST /x/partners/BENCH/quotes/ with the cassette body (one
-- event ticket quote, GBP, GB), 201 with the quote package.
--   wrk -t2 -c64 -d10s -s bench/wrk/create_quote.lua http://127.0.0.1:PORT \
--     -- threads=2 out=create_quote.json
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

common.run {
  name = "create_quote",
  expected = { [201] = true },
  next = function()
    return "POST", "/x/partners/" .. common.partner .. "/quotes/", common.quote_body
  end,
}
