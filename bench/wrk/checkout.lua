-- A checkout: a quote (POST quotes/, 201), then, for that quote's package,
-- an opt-out (POST bookings/{id}/opt_out, 204) three times in five or a
-- booking (POST bookings/{id}/ with the cassette body naming the quote, 200)
-- twice in five. About half the requests are quotes, 30% opt-outs, 20%
-- bookings.
--
-- wrk's response() does not say which connection or request it answers, so
-- each thread keeps a queue: a 201 adds its package and quote ids, and the
-- thread's next request takes from the queue before it makes a new quote.
-- Against the reference server (reference=1), which answers 204 to
-- everything, every quote is followed at once by a follow-up on a package id
-- of the ids file, so that it gets the same mix of requests.
--   wrk -t2 -c64 -d10s -s bench/wrk/checkout.lua http://127.0.0.1:PORT \
--     -- threads=2 out=checkout.json
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local common = require("common")

local queue, head, tail = {}, 1, 0 -- follow-ups: { package id, quote id }
local follow_ups = 0
local fake_ids, fake_next

local function push(package_id, quote_id)
  tail = tail + 1
  queue[tail] = { package_id, quote_id }
end

local function booking_body(quote_id)
  return '{"quotes": [{"id": "' .. quote_id .. '"}], "policyholder": {"first_name": "Mark",'
    .. ' "last_name": "Mcintosh", "age": 30, "email": "mark.mcintosh@test-xcover.com",'
    .. ' "country": "GB", "region": null, "company": "Barrera Ltd"}}' -- test_create_booking
end

common.run {
  name = "checkout",
  expected = { [200] = true, [201] = true, [204] = true },
  init = function(thread_index)
    if common.reference then
      fake_ids = common.load_ids(thread_index)
      fake_next = 1
    end
  end,
  next = function()
    local bookings = "/x/partners/" .. common.partner .. "/bookings/"
    if head <= tail then
      local item = queue[head]
      queue[head] = nil
      head = head + 1
      follow_ups = follow_ups + 1
      if follow_ups % 5 < 3 then return "POST", bookings .. item[1] .. "/opt_out" end
      return "POST", bookings .. item[1] .. "/", booking_body(item[2])
    end
    if common.reference then
      push(fake_ids[fake_next], "02a4f0ca-fab0-405c-b9c7-831f0a1f129f")
      fake_next = fake_next % #fake_ids + 1
    end
    return "POST", "/x/partners/" .. common.partner .. "/quotes/", common.quote_body
  end,
  on_response = function(status, body)
    if status ~= 201 or common.reference then return end
    local package_id = body:match('^{"id":"([^"]+)"')
    local quote_id = body:match('"quotes":{"0":{"id":"([^"]+)"')
    if package_id and quote_id then
      push(package_id, quote_id)
    else
      common.fail("a 201 without a package and quote id: " .. body:sub(1, 200))
    end
  end,
}
