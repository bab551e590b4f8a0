#!/bin/bash
# tests/e2e/offsite.sh - off-site routing (异地就医) through three gateways.
#
# One simulator serves Guangxi, Hunan, Zhejiang and the national level, each
# platform on its own port, so the answering platform shows in the first two
# digits of every id it issues. Three ybgw processes:
#   hospital   conf/ybgw.conf, H45019900055 in pool 450199: Guangxi patients
#              to the Guangxi platform, others to the national relay
#   national   conf/relay.conf (relay-national): Guangxi and Zhejiang to their
#              platforms, Hunan to the Hunan provincial relay
#   hunan      a provincial relay (relay-hunan): Hunan to the Hunan platform;
#              Zhejiang, by a deliberate mistake, back to the national relay
# Checks: a local, an in-province off-site and a cross-province visit each
# settle at the right platform with the right relay chain; a relay loop, a
# forged hop, an unsigned or badly signed call to a relay, an unknown
# region, a region with no route, a denied transaction and a registration
# without a filing are refused; a dead endpoint: a query fails over, a
# settlement gets a clear error, the breaker opens, and closes again once the
# endpoint is back. Always stops what it started.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports 3
HR_PORT=${EXTRA_PORTS[0]}
HR_ADMIN_PORT=${EXTRA_PORTS[1]}
DEAD_PORT=${EXTRA_PORTS[2]}
HR_URL="http://127.0.0.1:$HR_PORT$SERVICE_PATH"

# ---- the configurations ----
e2e_sim_conf "$E2E_TMP/sim.conf"
e2e_gateway_conf "$E2E_TMP/ybgw.conf"
# the hospital refuses a cross-province registration without a filing, and
# (a test-only rule) a cross-province 2001
sed -i -e 's|^\(\s*filing_policy\s\+\)warn;|\1reject;|' \
    -e 's|^\(\s*deny cross-province\) 2503|\1 2001 2503|' "$E2E_TMP/ybgw.conf"
e2e_secret relay2
e2e_secret relay3
e2e_relay_conf "$E2E_TMP/national.conf"
cp "$E2E_TMP/national.conf" "$E2E_TMP/relay.conf.orig"
# national: Hunan and Zhejiang go to the Hunan relay; the Hunan relay may call
sed -i -e 's|^\(\s*route 43\) hunan;|\1 hunan_relay;|' \
    -e 's|^\(\s*route 33\) zhejiang;|\1 hunan_relay;|' "$E2E_TMP/national.conf"
cat >>"$E2E_TMP/national.conf" <<EOF
upstream hunan_relay {
    endpoint $HR_URL;
    timeout 20s;
    sign ybgw;
    access_key relay-national;
    secret_file $E2E_TMP/relay2.key;
}
caller relay-hunan {
    secret_file $E2E_TMP/relay3.key;
    institutions *;
}
EOF
# the Hunan provincial relay, made from the national one as shipped
sed -e "s|^\(\s*listen\s\+\)127\.0\.0\.1:$RELAY_PORT;|\1127.0.0.1:$HR_PORT;|" \
    -e "s|^\(\s*admin_listen\s\+\)127\.0\.0\.1:$RELAY_ADMIN_PORT;|\1127.0.0.1:$HR_ADMIN_PORT;|" \
    -e 's|^node_name relay-national;|node_name relay-hunan;|' \
    -e 's|relay-journal\.db;|hunan-journal.db;|' \
    -e 's|^caller H45019900055 {|caller relay-national {|' \
    -e "s|^\(\s*secret_file\s\+\)$E2E_TMP/relay\.key;|\1$E2E_TMP/relay2.key;|" \
    -e 's|^\(\s*institutions\s\+\)H45\*;|\1*;|' \
    -e 's|^\(\s*route 33\) zhejiang;|\1 national_relay;|' \
    "$E2E_TMP/relay.conf.orig" >"$E2E_TMP/hunan.conf"
cat >>"$E2E_TMP/hunan.conf" <<EOF
upstream national_relay {
    endpoint $RELAY_URL;
    timeout 20s;
    sign ybgw;
    access_key relay-hunan;
    secret_file $E2E_TMP/relay3.key;
}
EOF

e2e_start_sim
e2e_start_relay "$E2E_TMP/hunan.conf" "$HR_ADMIN_PORT" "$E2E_TMP/hunan.log"
e2e_start_relay "$E2E_TMP/national.conf" "$RELAY_ADMIN_PORT" "$E2E_TMP/national.log"
e2e_start_gateway "$E2E_TMP/ybgw.conf"

# ---- helpers ----

# visit_json SCRIPT [--set N=V]...: run a visit through the hospital gateway;
# VISIT_OUT is its --json listing, VISIT_RC its exit status.
visit_json() {
    VISIT_OUT="$E2E_TMP/visit.$RANDOM.json"
    "$CTL" visit --json --quiet --url "$GW_URL" "$@" >"$VISIT_OUT" 2>"$VISIT_OUT.err"
    VISIT_RC=$?
    [ "$VISIT_RC" -eq 0 ] || { cat "$VISIT_OUT" "$VISIT_OUT.err"; } | head -c 3000
}

# step_field INFNO FIELD: FIELD ("route", "hops") of the first step INFNO.
step_field() {
    grep -m1 "\"infno\":\"$1\"" "$VISIT_OUT" | sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p"
}

# saved_value NAME: a value the visit saved (from the last step that saved it).
saved_value() {
    grep -o "\"$1\":\"[^\"]*\"" "$VISIT_OUT" | tail -1 | sed 's/.*:"\(.*\)"/\1/'
}

stamp() { date +%Y%m%d%H%M%S; }
# envelope INFNO INSUPLC INPUT_JSON: a message of the demo hospital, with a
# msgid of its own (the counter lives in a file: envelope runs in $(...)).
envelope() {
    local seq
    seq=$(($(cat "$E2E_TMP/seq" 2>/dev/null || echo 0) + 1))
    echo "$seq" >"$E2E_TMP/seq"
    printf '{"infno":"%s","msgid":"H45019900055%s%04d","mdtrtarea_admvs":"450199",' \
        "$1" "$(stamp)" "$seq"
    printf '"insuplc_admdvs":"%s","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"",' "$2"
    printf '"cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001",'
    printf '"opter_name":"测试","inf_time":"%s","fixmedins_code":"H45019900055",' \
        "$(date '+%Y-%m-%d %H:%M:%S')"
    printf '"fixmedins_name":"演示医院","sign_no":"%s","input":%s}' "${SIGN_NO:-}" "$3"
}

query_1101() {
    envelope 1101 "$1" "{\"data\":{\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$2\",\"card_sn\":\"\",\"begntime\":\"$(date '+%Y-%m-%d %H:%M:%S')\",\"psn_cert_type\":\"01\",\"certno\":\"$2\",\"psn_name\":\"\"}}"
}

register_2201() {
    envelope 2201 "$1" "{\"data\":{\"psn_no\":\"$2\",\"insutype\":\"310\",\"begntime\":\"$(date '+%Y-%m-%d %H:%M:%S')\",\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$3\",\"ipt_otp_no\":\"MZ$(stamp)\",\"atddr_no\":\"D450199000001\",\"dr_name\":\"医生甲\",\"dept_code\":\"A03\",\"dept_name\":\"内科\",\"caty\":\"A03\"}}"
}

# send URL BODY_TEXT [CURL_ARGS...]: POST; sets STATUS, BODY and HEADERS.
send() {
    local url=$1 text=$2
    shift 2
    printf '%s' "$text" >"$E2E_TMP/req.json"
    HEADERS="$E2E_TMP/headers.$RANDOM"
    BODY="$E2E_TMP/body.$RANDOM"
    STATUS=$(curl -s --noproxy '*' -m 30 -D "$HEADERS" -o "$BODY" -w '%{http_code}' \
        -H 'Content-Type: application/json' -H 'Expect:' "$@" \
        --data-binary "@$E2E_TMP/req.json" "$url" 2>/dev/null)
}

header() { sed -n "s/^$1: *//Ip" "$HEADERS" | tr -d '\r' | head -1; }
body_has() { grep -q -- "$1" "$BODY"; }
err_msg() { json_str "$BODY" err_msg; }

metric_value() { # URL NAME_WITH_LABELS: the value of one series, or 0
    curl -s --noproxy '*' -m 5 "$1/metrics" | grep -F "$2" | head -1 | awk '{print $NF}' |
        grep . || echo 0
}

# a sign-in for the messages sent by hand (the simulator shares it between
# its platforms, as the relayed network does)
send "$GW_URL" "$(envelope 9001 "" '{"signIn":{"opter_no":"0001","mac":"02-00-00-00-00-01","ip":"127.0.0.1"}}')"
SIGN_NO=$(grep -o '"sign_no":"[^"]*"' "$BODY" | head -1 | sed 's/.*:"\(.*\)"/\1/')
check "the sign-in (9001) is answered by Guangxi" test "${SIGN_NO:0:2}" = 45

# ---- 1. a local visit settles at Guangxi, directly ----
visit_json "$VISITS/outpatient.json"
check "the local visit (insured 450199) completes" test "$VISIT_RC" -eq 0
check "its 2207 went to route guangxi" test "$(step_field 2207 route)" = guangxi
check "with no relay in the chain" test "$(step_field 2207 hops)" = H45019900055
setl=$(saved_value setl_id)
check "the Guangxi platform settled it (setl_id $setl)" test "${setl:0:2}" = 45

# ---- 2. an in-province off-site visit settles at Guangxi too ----
visit_json "$VISITS/outpatient.json" --set certno=450305198203030099 --set psn_name=测试壬
check "the in-province visit (insured 450399) completes" test "$VISIT_RC" -eq 0
check "its insured place came from 1101 (450399)" test "$(saved_value insuplc_admdvs)" = 450399
check "its 2207 went to route guangxi" test "$(step_field 2207 route)" = guangxi
setl=$(saved_value setl_id)
check "the Guangxi platform settled it (setl_id $setl)" test "${setl:0:2}" = 45
send "$GW_URL" "$(query_1101 450399 450305198203030099)"
check "the route reason names the class" \
    grep -q 'in-province' <<<"$(header X-Ybgw-Route-Reason)"

# ---- 3. a cross-province visit settles at Hunan through two relays ----
visit_json "$VISITS/offsite.json"
check "the cross-province visit (insured 431199) completes" test "$VISIT_RC" -eq 0 \
    || cat "$VISIT_OUT" "$VISIT_OUT.err"
check "its 2207 went to route relay" test "$(step_field 2207 route)" = relay
check "through the national and the Hunan relay" \
    test "$(step_field 2207 hops)" = "H45019900055, relay-national, relay-hunan"
setl=$(saved_value setl_id)
check "the Hunan platform settled it (setl_id $setl)" test "${setl:0:2}" = 43
check "the filing was made at Hunan" test "$(saved_value trt_dcla_detl_sn | cut -c1-2)" = 43
check "sign-in stayed with Guangxi" test "$(step_field 9001 route)" = guangxi
send "$GW_URL" "$(query_1101 431199 431102197003030033)"
check "a Hunan 1101 is answered by the Hunan platform" \
    test "$(json_str "$BODY" inf_refmsgid | cut -c1-2)" = 43
check "X-Ybgw-Hops shows both relays" \
    test "$(header X-Ybgw-Hops)" = "H45019900055, relay-national, relay-hunan"
check "X-Ybgw-Route says relay" test "$(header X-Ybgw-Route)" = relay

# ---- 4. refusals of the route and the off-site rules ----
relay_calls() { metric_value "$RELAY_ADMIN_URL" 'ybgw_requests_total{infno="2201"'; }
before=$(relay_calls)
send "$GW_URL" "$(register_2201 431199 4311990000000003 431102197003030033)"
check "a cross-province 2201 after the filing was revoked is refused" body_has '"infcode":-1'
check "naming the filing and 2501" grep -q 'filing.*2501\|2501.*filing' <<<"$(err_msg)"
check "the relay never saw it" test "$(relay_calls)" = "$before"

send "$GW_URL" "$(query_1101 330199 330106198803030044)"
check "a Zhejiang 1101 looping national -> hunan -> national is refused" \
    grep -q 'relay loop' <<<"$(err_msg)"
check "the loop names the gateway met twice" grep -q 'relay-national' <<<"$(err_msg)"

send "$GW_URL" "$(query_1101 450199 450103199001010011)" -H 'X-Ybgw-Hops: relay-x, H45019900055'
check "a chain that already holds this gateway is refused" grep -q 'relay loop' <<<"$(err_msg)"
send "$GW_URL" "$(query_1101 450199 450103199001010011)" \
    -H 'X-Ybgw-Hops: a1, a2, a3, a4, a5, a6, a7, a8'
check "a chain of max_hops gateways is refused" grep -q 'max_hops' <<<"$(err_msg)"

send "$GW_URL" "$(query_1101 459999 450103199001010011)"
check "an insured place outside the region table is refused" \
    grep -q 'insuplc_admdvs' <<<"$(err_msg)"
check "as an unknown region" grep -qi 'region' <<<"$(err_msg)"
send "$GW_URL" "$(query_1101 110105 110105199001010011)"
check "a Beijing patient (no route, no default) is refused" grep -q 'no route' <<<"$(err_msg)"
check "and was not sent anywhere" test "$(header X-Ybgw-Outcome)" = rejected

send "$GW_URL" "$(envelope 2001 431199 '{"data":{"psn_no":"4311990000000003","insutype":"310","fixmedins_code":"H45019900055","med_type":"11","begntime":"2026-01-01 00:00:00"}}')"
check "a cross-province 2001 (denied by configuration) is refused" \
    grep -q 'cross-province' <<<"$(err_msg)"

# ---- 5. the relays accept only signed calls ----
send "$RELAY_URL" "$(query_1101 431199 431102197003030033)"
check "an unsigned call to the relay gets HTTP 401" test "$STATUS" = 401
check "naming X-Ybgw-Caller" grep -q 'X-Ybgw-Caller' <<<"$(err_msg)"
send "$RELAY_URL" "$(query_1101 431199 431102197003030033)" -H 'X-Ybgw-Caller: H45019900055' \
    -H "X-Ybgw-Timestamp: $(date +%s)000" -H 'X-Ybgw-Nonce: 0123456789abcdef0123' \
    -H "X-Ybgw-Signature: $(printf '%064d' 0)"
check "a call with a wrong signature gets HTTP 401" test "$STATUS" = 401
check "naming the signature" grep -qi 'signature' <<<"$(err_msg)"

# ---- 6. a dead endpoint ----
# Reload the hospital gateway with a dead endpoint first in the Guangxi
# cluster, a breaker that opens after two failures and stays open 2 s.
sed -e "/^upstream guangxi {/,/^}/{s|^\(\s*endpoint\s\+\)\(http://127.0.0.1:$SIM_PORT/\)|\1http://127.0.0.1:$DEAD_PORT/fsi/api/rsfComIfsService/callService;\n    endpoint \2|;s|^\(\s*breaker\s\+\)5 30s;|\12 2s;|;s|^\(\s*health_check\s\+\)10s;|\1off;|}" \
    "$E2E_TMP/ybgw.conf" >"$E2E_TMP/ybgw2.conf"
cp "$E2E_TMP/ybgw2.conf" "$E2E_TMP/ybgw.conf"
reloads=$(metric_value "$ADMIN_URL" 'ybgw_reloads_total{result="ok"}')
kill -HUP "$GW_PID"
for _ in $(seq 1 50); do
    [ "$(metric_value "$ADMIN_URL" 'ybgw_reloads_total{result="ok"}')" != "$reloads" ] && break
    sleep 0.1
done
check "the gateway reloaded with the dead endpoint" \
    test "$(metric_value "$ADMIN_URL" 'ybgw_reloads_total{result="ok"}')" != "$reloads"

dead="endpoint=\"http://127.0.0.1:$DEAD_PORT/"
send "$GW_URL" "$(query_1101 450199 450103199001010011)"
check "a query fails over to the next endpoint and is answered" body_has '"infcode":0'
check "by the Guangxi platform" test "$(json_str "$BODY" inf_refmsgid | cut -c1-2)" = 45
check "the failover is counted" \
    test "$(metric_value "$ADMIN_URL" 'ybgw_upstream_errors_total{upstream="guangxi",kind="failover"}')" -ge 1
send "$GW_URL" "$(register_2201 450199 4501990000000001 450103199001010011)"
check "a registration to the dead endpoint is not repeated: a clear error" \
    grep -q 'not delivered and may be sent again' <<<"$(err_msg)"
check "as an upstream error" test "$(header X-Ybgw-Outcome)" = upstream_error
check "the dead endpoint's breaker is open" \
    test "$(metric_value "$ADMIN_URL" "ybgw_upstream_breaker_state{upstream=\"guangxi\",$dead")" = 1
send "$GW_URL" "$(register_2201 450199 4501990000000001 450103199001010011)"
check "with the breaker open, a registration goes straight to the live endpoint" \
    test "$(header X-Ybgw-Outcome)" != upstream_error
check "which answers it" test "$(json_str "$BODY" inf_refmsgid | cut -c1-2)" = 45
# the endpoint comes back: a second simulator (Guangxi only) on the dead port
grep -v '^\s*listen' "$E2E_TMP/sim.conf" | sed -e '/^platform \(hunan\|zhejiang\|national\) {/,/^}/d' \
    -e "s|^\(platform guangxi {\)|\1\n    listen 127.0.0.1:$DEAD_PORT;|" \
    -e "s|^\(\s*database\s\+\)[^;]*;|\1:memory:;|" \
    -e 's|^require_sign_in on;|require_sign_in off;|' >"$E2E_TMP/sim2.conf"
(cd "$E2E_TMP" && exec "$SIM" -c "$E2E_TMP/sim2.conf") >"$E2E_TMP/sim2.log" 2>&1 &
SIM2_PID=$!
E2E_PIDS+=("$SIM2_PID")
e2e_wait_port "$DEAD_PORT" 10 || fail "the second simulator listens on $DEAD_PORT"
sleep 2.2 # the breaker's cooldown
check "after the cooldown the breaker is half-open" \
    test "$(metric_value "$ADMIN_URL" "ybgw_upstream_breaker_state{upstream=\"guangxi\",$dead")" = 2
send "$GW_URL" "$(query_1101 450199 450103199001010011)"
check "the trial call goes to the recovered endpoint and is answered" body_has '"infcode":0'
check "the breaker is closed again" \
    test "$(metric_value "$ADMIN_URL" "ybgw_upstream_breaker_state{upstream=\"guangxi\",$dead")" = 0
check "it opened once" \
    test "$(metric_value "$ADMIN_URL" "ybgw_upstream_breaker_opened_total{upstream=\"guangxi\",$dead")" = 1

e2e_finish
