#!/bin/bash
# tests/e2e/faults.sh - what a HIS gets through ybgw when the platform
# misbehaves.
#
# The simulator runs with `faults on;` (sim/README.md, "Injected faults"),
# and one gateway calls it with a 2 s timeout, no breaker, no health checks
# and a single endpoint (so no failover). For each fault the script arms it
# for the next request of one transaction and checks the exact answer the
# HIS gets (infcode, err_msg, X-Ybgw-Outcome, how long it took), whether the
# simulator processed the message, the gateway's error counter for that
# kind, and that the gateway still answers /livez and a normal 1101:
#
#   slow past the timeout   1101; 2207 in the outpatient visit, then the HIS
#                           reverses that settlement with 2601
#   slow within the timeout answered
#   drop, cut, garbage, HTTP 500, reset
#   the upstream down       connect refused: not delivered, may be sent again
#
# The drop and reset cases on a reused keep-alive connection guard against
# libcurl quietly posting the message again on a new connection (the
# gateway gives curl the body through a read callback it cannot rewind).
# Always stops what it started.

# shellcheck disable=SC2317  # helpers run through check
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=faultlib.sh
. "$(dirname "$0")/faultlib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports
fault_start_sim
fault_gateway_conf "$E2E_TMP/ybgw.conf"
e2e_start_gateway "$E2E_TMP/ybgw.conf"

# ---- the path is sound ----
send "$(envelope 9001 "" \
    '{"signIn":{"opter_no":"0001","mac":"02-00-00-00-00-01","ip":"127.0.0.1"}}')"
SIGN_NO=$(grep -o '"sign_no":"[^"]*"' "$BODY" | head -1 | sed 's/.*:"\(.*\)"/\1/')
check "the sign-in (9001) is answered by Guangxi ($SIGN_NO)" test "${SIGN_NO:0:2}" = 45
send "$(query_1101)"
check "a 1101 with no fault armed is answered (infcode $(infcode))" test "$(infcode)" = 0

# upstream_error KIND: the last answer is the gateway's upstream error and
# the error counter of KIND grew by one since $BEFORE.
upstream_error() {
    check "HTTP 200, as the platform's own errors (got $STATUS)" test "$STATUS" = 200
    check "infcode -1 (got $(infcode))" test "$(infcode)" = -1
    check "X-Ybgw-Outcome: upstream_error (got $(header X-Ybgw-Outcome))" \
        test "$(header X-Ybgw-Outcome)" = upstream_error
    check "err_msg names the upstream guangxi" has "$(err_msg)" "upstream guangxi"
    check "ybgw_upstream_errors_total{kind=$1} grew by one" \
        test "$(upstream_errors "$1")" -eq $((BEFORE + 1))
}

# may_have_processed: the last err_msg, for a 1101 (a query in safe_to_retry)
# that may have reached the platform: a query may be sent again, and the
# answer never talks of reversing it (that advice is for settlements, see 2).
# (or reverse it), never to send it again blindly.
may_have_processed() {
    local e
    e=$(err_msg)
    check "err_msg says a query may be sent again" \
        has "$e" "it is a query (safe_to_retry) and may be sent again"
    check "err_msg does not talk of reversing a query" lacks "$e" "2601"
}

received() { # MSGID: how many times the simulator's access log shows MSGID
    grep -c "msgid=$1" "$E2E_TMP/sim.log"
}

processed() { # MSGID yes|no: the simulator processed MSGID (or not)
    local want=false
    [ "$2" = yes ] && want=true
    has "$(sim_processed "$1")" "\"processed\":$want"
}

# ---- 1. slow past the timeout: a 1101 ----
echo "# slow 4000 ms, 1101"
BEFORE=$(upstream_errors timeout)
arm "mode=slow&ms=4000&infno=1101"
send "$(query_1101)"
upstream_error timeout
check "err_msg says timeout" has "$(err_msg)" "upstream guangxi: timeout"
check "the HIS had its answer at the 2 s timeout (${MS} ms)" \
    test "$MS" -ge 1900 -a "$MS" -lt 3500
may_have_processed
check "the simulator processed the 1101 (slow processes on arrival)" processed "$SENT_MSGID" yes
gateway_alive "a slow 1101"

# ---- 2. slow past the timeout: the settlement of a visit, then 2601 ----
echo "# slow 4000 ms, 2207 in visits/outpatient.json"
BEFORE=$(upstream_errors timeout)
arm "mode=slow&ms=4000&infno=2207"
visit_out="$E2E_TMP/visit.json"
"$CTL" visit --json --url "$GW_URL" --schemas "$top_srcdir/conf/schemas" \
    "$VISITS/outpatient.json" >"$visit_out" 2>"$visit_out.err"
rc=$?
step=$(grep -m1 '"infno":"2207"' "$visit_out")
step_str() { sed -n "s/.*\"$1\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$step" | head -n 1; }
setl_msgid=$(step_str msgid)
setl_err=$(step_str err_msg)
check "the visit stops at its 2207 (exit 1, got $rc)" test "$rc" -eq 1
check "the 2207 did not meet its expectation" has "$step" '"met":false'
check "its err_msg names upstream guangxi and the timeout" \
    has "$setl_err" "upstream guangxi: timeout"
check "its err_msg says to query the outcome or reverse it with 2601" \
    has "$setl_err" "query its outcome (or reverse it with 2601)"
check "its err_msg never says it may be sent again" lacks "$setl_err" "may be sent again"
check "the timeout was counted" test "$(upstream_errors timeout)" -eq $((BEFORE + 1))
answer=$(sim_processed "$setl_msgid")
check "the simulator kept the settlement of $setl_msgid" has "$answer" '"settlement":{'
check "and it is not revoked" has "$answer" '"revoked":false'
# the HIS reverses the settlement whose answer never came
psn_no=$(saved "$visit_out" psn_no)
insuplc=$(saved "$visit_out" insuplc_admdvs)
reverse="{\"data\":{\"psn_no\":\"$psn_no\",\"omsgid\":\"$setl_msgid\",\"oinfno\":\"2207\"}}"
send "$(envelope 2601 "$insuplc" "$reverse")"
reversal=$SENT_MSGID
check "the 2601 reversal of $setl_msgid is answered (infcode $(infcode) $(err_msg))" \
    test "$(infcode)" = 0
answer=$(sim_processed "$setl_msgid")
check "the settlement is now revoked" has "$answer" '"revoked":true'
check "by the 2601 ($reversal)" has "$answer" "\"revoke_msgid\":\"$reversal\""
send "$(envelope 2601 "$insuplc" "$reverse")"
check "a second 2601 is an idempotent success (infcode $(infcode))" test "$(infcode)" = 0
gateway_alive "a slow 2207"

# ---- 3. slow within the timeout ----
echo "# slow 1000 ms, 1101"
arm "mode=slow&ms=1000&infno=1101"
send "$(query_1101)"
check "a 1101 answered after 1 s is passed on (infcode $(infcode))" test "$(infcode)" = 0
check "X-Ybgw-Outcome: ok" test "$(header X-Ybgw-Outcome)" = ok
check "it took the delay (${MS} ms)" test "$MS" -ge 950 -a "$MS" -lt 1900
gateway_alive "a slow 1101 within the timeout"

# ---- 4. drop mid-request (processed, then the connection closed) ----
echo "# drop, 1101, a new connection"
fresh_connection
BEFORE=$(upstream_errors truncated)
fired_before=$(fired drop)
arm "mode=drop&infno=1101"
send "$(query_1101)"
upstream_error truncated
check "err_msg says the answer was empty" has "$(err_msg)" "Empty reply from server"
may_have_processed
check "the simulator processed it" processed "$SENT_MSGID" yes
check "the simulator dropped one request" test "$(fired drop)" -eq $((fired_before + 1))
check "and received the message once" test "$(received "$SENT_MSGID")" -eq 1
gateway_alive "a dropped 1101"

# On a kept-alive connection libcurl sends a request again on a new
# connection when the old one closes without a byte of answer: the
# platform gets the message twice, and the HIS the second answer.
echo "# drop, 1101, a reused connection"
BEFORE=$(upstream_errors truncated)
arm "mode=drop&infno=1101"
send "$(query_1101)"
dropped=$SENT_MSGID
check "a drop on a reused connection: infcode -1 (got $(infcode))" test "$(infcode)" = -1
check "... as an upstream error (got $(header X-Ybgw-Outcome): $(err_msg))" \
    test "$(header X-Ybgw-Outcome)" = upstream_error
check "... counted as truncated" test "$(upstream_errors truncated)" -eq $((BEFORE + 1))
check "the simulator processed it" processed "$dropped" yes
check "... and received it once (got $(received "$dropped"))" test "$(received "$dropped")" -eq 1
gateway_alive "a dropped 1101 on a reused connection"

echo "# drop-before, 1101, a reused connection"
BEFORE=$(upstream_errors truncated)
arm "mode=drop-before&infno=1101"
send "$(query_1101)"
check "a drop before processing, on a reused connection, is an upstream error" \
    test "$(header X-Ybgw-Outcome)" = upstream_error
check "... and the gateway did not send the message a second time" \
    processed "$SENT_MSGID" no
gateway_alive "a 1101 dropped before processing"

# ---- 5. cut mid-response ----
echo "# cut, 1101"
BEFORE=$(upstream_errors truncated)
arm "mode=cut&infno=1101"
send "$(query_1101)"
upstream_error truncated
check "err_msg says the answer was cut short" has "$(err_msg)" "bytes remaining to read"
may_have_processed
check "the simulator processed it" processed "$SENT_MSGID" yes
gateway_alive "a cut answer"

# ---- 6. garbage: HTTP 200 and not JSON ----
echo "# garbage, 1101"
BEFORE=$(upstream_errors bad_answer)
arm "mode=garbage&infno=1101"
send "$(query_1101)"
upstream_error bad_answer
check "err_msg says it is not a platform answer (a JSON envelope)" \
    has "$(err_msg)" "answered HTTP 200 with something that is not a platform answer"
check "err_msg says the query may be sent again" \
    has "$(err_msg)" "it is a query (safe_to_retry) and may be sent again"
check "the simulator processed it" processed "$SENT_MSGID" yes
gateway_alive "a garbage answer"

# ---- 7. HTTP 500 ----
echo "# http500, 1101"
BEFORE=$(upstream_errors http)
arm "mode=http500&infno=1101"
send "$(query_1101)"
upstream_error http
check "err_msg names the HTTP status" has "$(err_msg)" "upstream guangxi answered HTTP 500"
may_have_processed
check "the simulator did not process it" processed "$SENT_MSGID" no
gateway_alive "an HTTP 500"

# ---- 8. reset ----
echo "# reset, 1101, a new connection"
fresh_connection
BEFORE=$(upstream_errors truncated)
arm "mode=reset&infno=1101"
send "$(query_1101)"
upstream_error truncated
check "err_msg says the connection was reset" has "$(err_msg)" "reset"
may_have_processed
check "the simulator did not process it" processed "$SENT_MSGID" no
gateway_alive "a reset connection"

# ---- 9. the upstream down ----
echo "# the simulator stopped: connection refused"
fault_stop_sim
check "the simulator stopped" test -n "$E2E_EXIT"
BEFORE=$(upstream_errors connect)
send "$(query_1101)"
refused=$SENT_MSGID
upstream_error connect
check "err_msg says the message was not delivered and may be sent again" \
    has "$(err_msg)" "the message was not delivered and may be sent again"
check "the HIS knew at once (${MS} ms)" test "$MS" -lt 1500
check "the gateway still answers /livez" e2e_wait_url "$ADMIN_URL/livez" 2 200
fault_start_sim
gateway_alive "the simulator came back"
check "the message refused by the dead upstream was never processed" processed "$refused" no

# ---- the simulator applied each fault it was asked for ----
listing=$(curl -s --noproxy '*' -m 5 "$SIM_CONTROL/fault")
check "no fault is left armed" has "$listing" '"armed":[]'
check "the gateway process never restarted" kill -0 "$GW_PID"

e2e_finish
