-- The soak's mixed traffic (bench/soak.cpp, `make soak`): a quote (POST
-- quotes/, 201), then a read of it (GET quotes/{id}/, 200), then for that
-- package an opt-out (POST bookings/{id}/opt_out, 204) three times in five or
-- a booking (POST bookings/{id}/ with the cassette body naming the quote,
-- 200) twice in five: a third of the requests each.
--
-- Paced: wrk waits delay_ms before each connection's next request (wrk's
-- delay() hook), so -c connections send about c * 1000 / (delay_ms +
-- latency) requests per second; soak.cpp sets delay_ms for the rate it wants
-- and corrects it each minute. delay_ms=0 (the default) is the unpaced peak.
--
-- As in checkout.lua, wrk's response() does not say which request it answers:
-- a 201 queues its package for the read, and the read's 200 (the answer names
-- the package, which the thread remembers) queues the follow-up, so the
-- follow-up is never sent before the read was answered. Any other 200 is a
-- booking's (n_booked, for the ledger check).
--   wrk -t2 -c64 -d60s -s bench/wrk/soak.lua http://127.0.0.1:PORT \
--     -- threads=2 out=soak.json delay_ms=50
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local reads, rhead, rtail = {}, 1, 0         -- packages to read: { package id, quote id }
local follow, fhead, ftail = {}, 1, 0        -- packages read, to opt out or book
local awaiting = {}                          -- package id -> quote id, read sent
local follow_ups = 0
local delay_ms = 0

local function booking_body(quote_id)
  return '{"quotes": [{"id": "' .. quote_id .. '"}], "policyholder": {"first_name": "Mark",'
    .. ' "last_name": "Mcintosh", "age": 30, "email": "mark.mcintosh@test-xcover.com",'
    .. ' "country": "GB", "region": null, "company": "Barrera Ltd"}}' -- test_create_booking
end

common.run {
  name = "soak",
  expected = { [200] = true, [201] = true, [204] = true },
  init = function()
    delay_ms = tonumber(common.args.delay_ms or "0") or 0
  end,
  next = function()
    local base = "/x/partners/" .. common.partner
    if fhead <= ftail then
      local item = follow[fhead]
      follow[fhead] = nil
      fhead = fhead + 1
      follow_ups = follow_ups + 1
      if follow_ups % 5 < 3 then return "POST", base .. "/bookings/" .. item[1] .. "/opt_out" end
      return "POST", base .. "/bookings/" .. item[1] .. "/", booking_body(item[2])
    end
    if rhead <= rtail then
      local item = reads[rhead]
      reads[rhead] = nil
      rhead = rhead + 1
      awaiting[item[1]] = item[2]
      return "GET", base .. "/quotes/" .. item[1] .. "/"
    end
    return "POST", base .. "/quotes/", common.quote_body
  end,
  on_response = function(status, body)
    if status == 204 then return end
    local package_id = body:match('^{"id":"([^"]+)"')
    if status == 201 then
      local quote_id = body:match('"quotes":{"0":{"id":"([^"]+)"')
      if package_id and quote_id then
        rtail = rtail + 1
        reads[rtail] = { package_id, quote_id }
      else
        common.fail("a 201 without a package and quote id: " .. body:sub(1, 200))
      end
      return
    end
    -- 200: the read of a package (awaited), else a booking.
    local quote_id = package_id and awaiting[package_id]
    if quote_id then
      awaiting[package_id] = nil
      ftail = ftail + 1
      follow[ftail] = { package_id, quote_id }
    else
      n_booked = n_booked + 1
    end
  end,
}

function delay()
  return delay_ms
end
