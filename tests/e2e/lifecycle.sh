#!/bin/bash
# lifecycle.sh - the gateway as an operator sees it: the admin endpoints,
# keep-alive on the HIS side, reloads on SIGHUP (a good configuration takes
# effect, a broken one is refused while serving goes on), and a graceful
# stop on SIGTERM that still answers a transaction in flight and exits 0.

. "$(dirname "$0")/lib.sh"

SLOWPEER="$top_builddir/tests/e2e/slowpeer"

e2e_need "$YBGW" "$SIM"
e2e_init
e2e_ports
e2e_start_all
conf="$E2E_TMP/ybgw.conf"

# ---- admin endpoints ----
for path in livez healthz; do
    body=$(curl -s --noproxy '*' -m 5 "$ADMIN_URL/$path")
    check "/$path answers \"ok\" (got '$body')" [ "$body" = ok ]
done
check "/readyz answers 200 while serving" e2e_wait_url "$ADMIN_URL/readyz" 1 200
curl -s --noproxy '*' -m 5 "$ADMIN_URL/metrics" >"$E2E_TMP/metrics.txt"
for name in ybgw_requests_total ybgw_request_duration_seconds ybgw_upstream_duration_seconds \
    ybgw_inflight ybgw_reloads_total ybgw_findings_total; do
    check "/metrics has $name" grep -q "^\(# TYPE \)\?$name" "$E2E_TMP/metrics.txt"
done
code=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' "$ADMIN_URL/nothing-here")
check "an unknown admin path is 404 (got $code)" [ "$code" = 404 ]

# ---- keep-alive: three transactions on one connection ----
for i in 1 2 3; do write_9001 "$E2E_TMP/ka$i.json"; done
connects=$(curl -s --noproxy '*' -m 20 -H 'Content-Type: application/json' \
    -o /dev/null -w '%{num_connects} ' --data-binary "@$E2E_TMP/ka1.json" "$GW_URL" \
    --next -H 'Content-Type: application/json' -o /dev/null -w '%{num_connects} ' \
    --data-binary "@$E2E_TMP/ka2.json" "$GW_URL" \
    --next -H 'Content-Type: application/json' -o /dev/null -w '%{num_connects}' \
    --data-binary "@$E2E_TMP/ka3.json" "$GW_URL")
check "three requests reuse one connection (connects per request: $connects)" \
    [ "$connects" = "1 0 0" ]
curl -s --noproxy '*' -m 5 "$ADMIN_URL/metrics" >"$E2E_TMP/metrics.txt"
check "after them, the request duration histogram has a +Inf bucket" \
    grep -q '^ybgw_request_duration_seconds_bucket{.*le="+Inf"} ' "$E2E_TMP/metrics.txt"
n=$(metric 'ybgw_requests_total{infno="9001"')
check "ybgw_requests_total counts the three 9001s ($n)" [ "$n" -eq 3 ]

# ---- SIGHUP with a good configuration that changes behaviour ----
# a msgid of 18 characters: rejected under `msgid reject;`, a warning under
# `msgid warn;`
short_msgid="H45019900055$(date +%y%m%d)"
write_9001 "$E2E_TMP/short1.json" "$short_msgid"
post "$GW_URL" "$E2E_TMP/short1.json"
err=$(json_str "$BODY" err_msg)
case "$(json_num "$BODY" infcode):$err" in
"-1:msgid: \"$short_msgid\" must be 30 characters"*"got 18 [envelope]")
    ok "before the reload a short msgid is rejected: $err" ;;
*) fail "before the reload a short msgid is rejected" "answer: $(head -c 600 "$BODY")" ;;
esac

reloads_ok=$(metric 'ybgw_reloads_total{result="ok"')
sed 's/^\(\s*msgid\s\+\)reject;/\1warn;/' "$conf" >"$conf.new" && mv "$conf.new" "$conf"
kill -HUP "$GW_PID"
for i in $(seq 1 50); do
    [ "$(metric 'ybgw_reloads_total{result="ok"')" -gt "$reloads_ok" ] && break
    sleep 0.1
done
n=$(metric 'ybgw_reloads_total{result="ok"')
check "SIGHUP with a good configuration counts reloads_total{result=\"ok\"} ($reloads_ok -> $n)" \
    [ "$n" -eq $((reloads_ok + 1)) ]
upstream_before=$(metric 'ybgw_upstream_duration_seconds_count{upstream="guangxi"')
write_9001 "$E2E_TMP/short2.json" "${short_msgid}"
post "$GW_URL" "$E2E_TMP/short2.json"
warn=$(json_str "$BODY" warn_msg)
upstream_after=$(metric 'ybgw_upstream_duration_seconds_count{upstream="guangxi"')
check "after the reload the short msgid is forwarded ($upstream_before -> $upstream_after)" \
    [ "$upstream_after" -eq $((upstream_before + 1)) ]
case "$warn" in
"msgid: \"$short_msgid\" must be 30 characters"*"got 18 [envelope]")
    ok "after the reload the msgid finding is a warning: $warn" ;;
*) fail "after the reload warn_msg names msgid" "answer: $(head -c 600 "$BODY")" ;;
esac

# ---- SIGHUP with a broken configuration: refused, still serving ----
reloads_failed=$(metric 'ybgw_reloads_total{result="failed"')
cp "$conf" "$conf.good"
printf 'frobnicate on;\n' >>"$conf"
kill -HUP "$GW_PID"
for i in $(seq 1 50); do
    [ "$(metric 'ybgw_reloads_total{result="failed"')" -gt "$reloads_failed" ] && break
    sleep 0.1
done
n=$(metric 'ybgw_reloads_total{result="failed"')
check "SIGHUP with a broken configuration counts reloads_total{result=\"failed\"} ($reloads_failed -> $n)" \
    [ "$n" -eq $((reloads_failed + 1)) ]
check "the refused reload is logged with file:line" grep -q "$conf:[0-9]*: unknown directive" "$E2E_TMP/ybgw.log"
check "the gateway is still running" kill -0 "$GW_PID"
write_9001 "$E2E_TMP/after-bad.json"
post "$GW_URL" "$E2E_TMP/after-bad.json"
check "it still answers a good 9001 (infcode $(json_num "$BODY" infcode))" [ "$(json_num "$BODY" infcode)" = 0 ]
check "and /readyz still says 200" e2e_wait_url "$ADMIN_URL/readyz" 1 200
write_9001 "$E2E_TMP/short3.json" "${short_msgid}"
post "$GW_URL" "$E2E_TMP/short3.json"
check "the old (reloaded) policy is still in force: a short msgid is not rejected by the gateway" \
    [ -z "$(json_str "$BODY" err_msg | grep '^msgid')" ]

# ---- SIGTERM: the plain stop ----
kill -TERM "$GW_PID"
e2e_wait_exit "$GW_PID"
status=$E2E_EXIT
check "SIGTERM with nothing in flight exits 0 (status ${status:-still running})" [ "$status" = 0 ]

# ---- SIGTERM while a slow transaction is in flight ----
if [ ! -x "$SLOWPEER" ]; then
    printf 'note: %s is not built (make check builds it); drain checks not run\n' "$SLOWPEER"
    e2e_finish
fi
"$SLOWPEER" "$SPARE_PORT" 2000 60 >"$E2E_TMP/slowpeer.log" 2>&1 &
E2E_PIDS+=("$!")
e2e_wait_port "$SPARE_PORT" 5 || fail "slowpeer listens on $SPARE_PORT"
rm -f "$E2E_TMP/slow.conf"
e2e_gateway_conf "$E2E_TMP/slow.conf" "$SPARE_PORT"
e2e_start_gateway "$E2E_TMP/slow.conf"

write_9001 "$E2E_TMP/slow.json"
curl -s --noproxy '*' -m 20 -H 'Content-Type: application/json' -o "$E2E_TMP/slow.answer" \
    -w '%{http_code}' --data-binary "@$E2E_TMP/slow.json" "$GW_URL" >"$E2E_TMP/slow.code" &
client=$!
for i in $(seq 1 50); do
    [ "$(metric 'ybgw_inflight')" -ge 1 ] && break
    sleep 0.1
done
check "the slow transaction is in flight (ybgw_inflight $(metric 'ybgw_inflight'))" \
    [ "$(metric 'ybgw_inflight')" -ge 1 ]
kill -TERM "$GW_PID"
sleep 0.3
code=$(curl -s --noproxy '*' -m 2 -o /dev/null -w '%{http_code}' "$ADMIN_URL/readyz")
check "/readyz is not 200 while draining (got $code)" [ "$code" != 200 ]
wait "$client"
check "the in-flight transaction got HTTP 200 (got $(cat "$E2E_TMP/slow.code"))" \
    [ "$(cat "$E2E_TMP/slow.code")" = 200 ]
check "and its answer: infcode 0 with the slow peer's sign_no" \
    grep -q '"sign_no":"SLOWPEER"' "$E2E_TMP/slow.answer"
e2e_wait_exit "$GW_PID"
status=$E2E_EXIT
check "after draining, the gateway exits 0 (status ${status:-still running})" [ "$status" = 0 ]

e2e_finish
