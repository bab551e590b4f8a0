#!/bin/bash
# tests/e2e/load.sh - 200 concurrent connections for LOAD_SECONDS (default
# 60) against the simulator through ybgw lose no transaction: every request
# has a journal row, and the counts match.
#
# wrk drives 1101s (person queries), each with a msgid of its own (the
# simulator refuses a msgid it has seen), and, one request in LOAD_MIX_EVERY
# (default 50), a repeat of one 2207 settled before the load, which must get
# the same stored answer every time and never reach the simulator. After
# wrk stops, the gateway is left to finish what wrk abandoned at its
# deadline (at most one request per connection), then four counts must
# agree:
#
#   wrk         answers it read, by kind (its Lua script checks each one:
#               a 1101 answered infcode 0, or the stored settlement);
#   the gateway ybgw_requests_total and its upstream calls (/metrics);
#   the journal the rows of those 1101s, every one answered with infcode 0,
#               none left received or forwarded; one row for the 2207;
#   the platform the simulator's own record of 1101s it processed (its msg
#               table, read with sqlite3 -readonly).
#
# The gateway, the journal and the simulator must agree exactly; wrk may
# count fewer, by the requests it abandoned (never more than 200). wrk's
# socket errors (connect, read, write, timeout) must be 0. Prints requests
# per second and the latency percentiles. Needs wrk (apt-get install wrk)
# and the sqlite3 shell; skipped without them.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=faultlib.sh
. "$(dirname "$0")/faultlib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
command -v wrk >/dev/null 2>&1 || skip "wrk is not installed (apt-get install wrk)"
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-200}
LOAD_THREADS=${LOAD_THREADS:-2}
LOAD_MIX_EVERY=${LOAD_MIX_EVERY:-50}
e2e_init
e2e_ports
# the simulator keeps its record in a file (so sqlite3 can count it), and
# writes no line per request (that would be what is measured)
fault_sim_conf "$E2E_TMP/sim.conf"
sed -i -e 's|^access_log on;|access_log off;|' "$E2E_TMP/sim.conf"
fault_start_sim
conf="$E2E_TMP/ybgw.conf"
e2e_gateway_conf "$conf"
# no health probes: every upstream call counted is a transaction's
sed -i -e 's|^\(\s*health_check\s\+\)[^;]*;|\1off;|' "$conf"
e2e_start_gateway "$conf"
JOURNAL="$E2E_TMP/journal.db"
SIMDB="$E2E_TMP/sim.db"
jsql() { sqlite3 -readonly "$JOURNAL" "$1" 2>&1; }
ssql() { sqlite3 -readonly "$SIMDB" "$1" 2>&1; }
upstream_calls() { metric 'ybgw_upstream_duration_seconds_count{upstream="guangxi"}'; }
requests_of() { metric "ybgw_requests_total{infno=\"$1\""; }

# ---- before: a sign-in, and one settlement to repeat under load ----
send "$(envelope 9001 "" \
    '{"signIn":{"opter_no":"0001","mac":"02-00-00-00-00-01","ip":"127.0.0.1"}}')"
SIGN_NO=$(grep -o '"sign_no":"[^"]*"' "$BODY" | head -1 | sed 's/.*:"\(.*\)"/\1/')
check "the sign-in (9001) is answered by Guangxi ($SIGN_NO)" test "${SIGN_NO:0:2}" = 45
CHRG="CB$(stamp)L"
visit "$VISITS/settle_prepare.json" --json --set "chrg_bchno=$CHRG" \
    >"$E2E_TMP/prep.json" 2>"$E2E_TMP/prep.err"
check "a visit is prepared up to its pre-settlement (2206)" [ $? -eq 0 ]
settlement_2207 "$E2E_TMP/prep.json" "$CHRG" >"$E2E_TMP/settle.json"
send "$(cat "$E2E_TMP/settle.json")"
SETTLE_MSGID=$SENT_MSGID
SETL_ID=$(grep -o '"setl_id":"[^"]*"' "$BODY" | head -1 | sed 's/.*:"\(.*\)"/\1/')
check "the 2207 to repeat is settled ($SETL_ID, msgid $SETTLE_MSGID)" \
    test "$(infcode)" = 0 -a -n "$SETL_ID"
query_1101 >"$E2E_TMP/query.json"

# ---- the wrk script ----
# Each request's msgid: the institution, a time from yesterday (no other
# message of this test can have it) advancing one second per 10000
# requests, and a 4-digit serial; the threads interleave their counters.
cat >"$E2E_TMP/load.lua" <<'LUA'
-- globals: a thread's counters are read by done() through thread:get
local path, query, settle, setl_id, every, nthreads, base
local count = 0
ok_query, ok_repeat, bad, sample = 0, 0, 0, ""
local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

local function slurp(name)
    local f = assert(io.open(name, "rb"))
    local s = f:read("*a")
    f:close()
    return s
end

function init(args)
    path = args[1]
    query = slurp(args[2])
    settle = slurp(args[3])
    setl_id = '"setl_id":"' .. args[4] .. '"'
    every = tonumber(args[5])
    nthreads = tonumber(args[6])
    base = tonumber(args[7])
    wrk.headers["Content-Type"] = "application/json;charset=UTF-8"
end

function request()
    count = count + 1
    if count % every == 0 then
        return wrk.format("POST", path, nil, settle)
    end
    local idx = count * nthreads + tid
    local msgid = "H45019900055" .. os.date("%Y%m%d%H%M%S", base + math.floor(idx / 10000)) ..
        string.format("%04d", idx % 10000)
    local body = query:gsub('"msgid":"[^"]*"', '"msgid":"' .. msgid .. '"', 1)
    return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
    if status == 200 and body:find(setl_id, 1, true) then
        ok_repeat = ok_repeat + 1
    elseif status == 200 and body:find('"infcode":0', 1, true) and
        body:find('"baseinfo"', 1, true) then
        ok_query = ok_query + 1
    else
        bad = bad + 1
        if sample == "" then sample = status .. " " .. body:sub(1, 400) end
    end
end

function done(summary, latency, requests)
    local q, r, b, s = 0, 0, 0, ""
    for _, t in ipairs(threads) do
        q = q + t:get("ok_query")
        r = r + t:get("ok_repeat")
        b = b + t:get("bad")
        if s == "" then s = t:get("sample") end
    end
    local e = summary.errors
    io.write(string.format("LOAD requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f " ..
        "p99_ms=%.2f max_ms=%.2f query=%d repeat=%d bad=%d connect=%d read=%d write=%d " ..
        "timeout=%d status=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency.max / 1000, q, r, b,
        e.connect, e.read, e.write, e.timeout, e.status))
    if s ~= "" then io.write("LOAD first bad answer: " .. s .. "\n") end
end
LUA

# ---- the load ----
base=$(($(date +%s) - 86400))
up0=$(upstream_calls)
q0=$(requests_of 1101)
s0=$(requests_of 2207)
id0=$(jsql "SELECT coalesce(max(id), 0) FROM journal")
sim0=$(ssql "SELECT count(*) FROM msg WHERE infno='1101'")
printf 'load: %d connections, %d threads, %ss, a 2207 repeat every %d requests\n' \
    "$LOAD_CONNECTIONS" "$LOAD_THREADS" "$LOAD_SECONDS" "$LOAD_MIX_EVERY"
wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d"${LOAD_SECONDS}s" --timeout 10s --latency \
    -s "$E2E_TMP/load.lua" "http://127.0.0.1:$GW_PORT" -- "$SERVICE_PATH" \
    "$E2E_TMP/query.json" "$E2E_TMP/settle.json" "$SETL_ID" "$LOAD_MIX_EVERY" \
    "$LOAD_THREADS" "$base" >"$E2E_TMP/wrk.out" 2>&1
rc=$?
cat "$E2E_TMP/wrk.out"
check "wrk ran (exit $rc)" [ "$rc" -eq 0 ]
line=$(grep '^LOAD requests=' "$E2E_TMP/wrk.out")
if [ -z "$line" ]; then
    fail "wrk printed its summary"
    e2e_finish
fi
# wrk_n KEY: a figure from wrk's summary line
wrk_n() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $line"; }

# ---- the gateway finishes what wrk abandoned ----
drained=0
for _ in $(seq 1 300); do
    if [ "$(metric "ybgw_inflight ")" = 0 ] && [ "$(metric "ybgw_journal_backlog ")" = 0 ] &&
        [ "$(jsql "SELECT count(*) FROM journal WHERE id > $id0 AND status IN \
            ('received','forwarded')")" = 0 ]; then
        drained=1
        break
    fi
    sleep 0.1
done
check "the gateway drained: nothing in flight, nothing waiting for the journal" test "$drained" = 1

w_total=$(wrk_n requests)
w_query=$(wrk_n query)
w_repeat=$(wrk_n repeat)
g_query=$(($(requests_of 1101) - q0))
g_repeat=$(($(requests_of 2207) - s0))
g_ok=$(metric 'ybgw_requests_total{infno="1101",outcome="ok"}')
calls=$(($(upstream_calls) - up0))
j_query=$(jsql "SELECT count(*) FROM journal WHERE id > $id0 AND infno='1101'")
j_answered=$(jsql "SELECT count(*) FROM journal WHERE id > $id0 AND infno='1101' \
    AND status='answered' AND infcode=0")
j_other=$(jsql "SELECT count(*) FROM journal WHERE id > $id0 AND infno <> '1101'")
j_msgids=$(jsql "SELECT count(DISTINCT msgid) FROM journal WHERE id > $id0 AND infno='1101'")
sim_query=$(($(ssql "SELECT count(*) FROM msg WHERE infno='1101'") - sim0))
abandoned=$((g_query + g_repeat - w_total))

printf '\nfigures for %ss at %d connections:\n' "$LOAD_SECONDS" "$LOAD_CONNECTIONS"
printf '  wrk            %s requests (%s 1101, %s 2207 repeats), %s req/s\n' \
    "$w_total" "$w_query" "$w_repeat" "$(wrk_n rps)"
printf '  latency        p50 %s ms, p90 %s ms, p99 %s ms, max %s ms\n' \
    "$(wrk_n p50_ms)" "$(wrk_n p90_ms)" "$(wrk_n p99_ms)" "$(wrk_n max_ms)"
printf '  gateway        %d 1101 (%d ok in all), %d 2207 repeats, %d upstream calls\n' \
    "$g_query" "$g_ok" "$g_repeat" "$calls"
printf '  journal        %s 1101 rows (%s answered infcode 0, %s distinct msgids), ' \
    "$j_query" "$j_answered" "$j_msgids"
printf '%s other rows\n' "$j_other"
printf '  simulator      %d 1101 processed\n' "$sim_query"
printf '  abandoned      %d (answered by the gateway after wrk stopped reading)\n' "$abandoned"
printf '  journal file   %s bytes\n' "$(stat -c %s "$JOURNAL")"

check "wrk completed requests ($w_total)" test "${w_total:-0}" -gt 0
check "wrk: no socket errors (connect $(wrk_n connect), read $(wrk_n read), \
write $(wrk_n write), timeout $(wrk_n timeout))" \
    test "$(wrk_n connect)" = 0 -a "$(wrk_n read)" = 0 -a "$(wrk_n write)" = 0 \
    -a "$(wrk_n timeout)" = 0
check "wrk: no HTTP status errors ($(wrk_n status))" test "$(wrk_n status)" = 0
check "every answer wrk read was a 1101 answered or the stored settlement (bad $(wrk_n bad))" \
    test "$(wrk_n bad)" = 0 -a $((w_query + w_repeat)) = "$w_total"
check "some 2207 repeats were sent ($w_repeat)" test "$w_repeat" -gt 0
check "the journal has a row for every 1101 the gateway finished ($j_query = $g_query)" \
    test "$j_query" = "$g_query"
check "the simulator processed every one of them ($sim_query = $g_query)" \
    test "$sim_query" = "$g_query"
check "each row is answered infcode 0 ($j_answered of $j_query), its msgid its own ($j_msgids)" \
    test "$j_answered" = "$j_query" -a "$j_msgids" = "$j_query"
check "one upstream call per 1101, none for a 2207 repeat ($calls = $g_query)" \
    test "$calls" = "$g_query"
check "the 2207 repeats made no journal row ($j_other other rows)" test "$j_other" = 0
check "the settled msgid has one journal row, answered" \
    test "$(jsql "SELECT group_concat(status) FROM journal WHERE msgid='$SETTLE_MSGID'")" = answered
check "wrk read at most what the gateway finished, $abandoned abandoned (<= $LOAD_CONNECTIONS)" \
    test "$abandoned" -ge 0 -a "$abandoned" -le "$LOAD_CONNECTIONS"
check "the gateway finished all wrk read: 1101 $g_query >= $w_query, 2207 $g_repeat >= $w_repeat" \
    test "$g_query" -ge "$w_query" -a "$g_repeat" -ge "$w_repeat"
check "the journal is not failing" test "$(metric "ybgw_journal_failing ")" = 0
"$CTL" journal verify --db "$JOURNAL" >"$E2E_TMP/verify.out" 2>&1
rc=$?
cat "$E2E_TMP/verify.out"
check "ybgwctl journal verify finds the journal intact (exit $rc)" [ "$rc" -eq 0 ]

e2e_finish
