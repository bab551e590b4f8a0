-- post.lua - wrk script: POST one platform envelope, read from the file named
-- by the BODY environment variable, and count every answer that is not HTTP
-- 200 with "infcode":0 as an error.
--
-- wrk runs response() in each thread's own Lua state, so the count lives in
-- a global of that state (`bad`), and done() (in the main state) adds the
-- threads' counts up through the thread objects setup() kept.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"

local threads = {}
function setup(thread)
    table.insert(threads, thread)
end

bad = 0
function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"infcode":0', 1, true) then
        bad = bad + 1
    end
end

-- errors: wrong answers plus socket errors (connect, read, write, timeout);
-- wrk's own status count is left out, a non-200 answer is already in `bad`
function done(summary, latency, requests)
    local answers = 0
    for _, thread in ipairs(threads) do
        answers = answers + (thread:get("bad") or 0)
    end
    local e = summary.errors
    io.write(string.format("BENCH requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        answers + e.connect + e.read + e.write + e.timeout))
end
