-- post.lua - wrk script: POST one platform envelope, read from the file named
-- by the BODY environment variable, and count answers that are not infcode 0.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"

local bad = 0
function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"infcode":0', 1, true) then
        bad = bad + 1
    end
end

function done(summary, latency, requests)
    io.write(string.format("BENCH requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
        summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write +
        summary.errors.status + summary.errors.timeout))
end
