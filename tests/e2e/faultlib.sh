# tests/e2e/faultlib.sh - helpers for the fault tests, on top of lib.sh.
#
# Sourced after lib.sh, not run. A fault test runs the simulator with
# `faults on;` and a database file (so that a restarted simulator keeps its
# sign-ins and settlements), and one gateway whose guangxi upstream has a
# short timeout, no breaker and no health checks: every answer the HIS gets
# then comes from the fault armed for that request, nothing else. The
# simulator's control endpoint is described in sim/README.md ("Injected
# faults").

# shellcheck shell=bash disable=SC2034  # a library: its names are used by the tests

FAULT_TIMEOUT=${FAULT_TIMEOUT:-2s}
SIM_CONTROL=""

# fault_sim_conf OUT: this test's sim.conf, with fault injection on and the
# database in the temporary directory.
fault_sim_conf() {
    e2e_sim_conf "$1"
    sed -i -e "s|^\(\s*database\s\+\):memory:;|\1$E2E_TMP/sim.db;|" "$1"
    printf '\nfaults on;\n' >>"$1"
}

# fault_start_sim: the simulator from $E2E_TMP/sim.conf (made when missing);
# sets SIM_PID and SIM_CONTROL (the control URL on the Guangxi port).
fault_start_sim() {
    [ -f "$E2E_TMP/sim.conf" ] || fault_sim_conf "$E2E_TMP/sim.conf"
    (cd "$E2E_TMP" && exec "$SIM" -c "$E2E_TMP/sim.conf") >>"$E2E_TMP/sim.log" 2>&1 &
    SIM_PID=$!
    E2E_PIDS+=("$SIM_PID")
    SIM_CONTROL="http://127.0.0.1:$SIM_PORT/sim"
    if ! e2e_wait_url "http://127.0.0.1:$SIM_PORT/healthz" 10 200; then
        fail "the simulator answers /healthz on 127.0.0.1:$SIM_PORT"
        e2e_finish
    fi
}

# fault_stop_sim: stop the simulator (SIGTERM) and wait for it.
fault_stop_sim() {
    kill -TERM "$SIM_PID" 2>/dev/null
    e2e_wait_exit "$SIM_PID"
}

# fault_gateway_conf OUT: conf/ybgw.conf for this test, its guangxi upstream
# with timeout FAULT_TIMEOUT, breaker off and no health check (a probe must
# not meet an armed fault, and a failure must not open a circuit), and an
# idle_timeout of 1s (see fresh_connection); the relay's health check off.
fault_gateway_conf() {
    e2e_gateway_conf "$1"
    local set="s|^\(\s*timeout\s\+\)[^;]*;|\1$FAULT_TIMEOUT;|"
    set="$set;s|^\(\s*breaker\s\+\)[^;]*;|\1off;|"
    set="$set;s|^\(\s*health_check\s\+\)[^;]*;|\1off;|"
    set="$set;s|^\(\s*idle_timeout\s\+\)[^;]*;|\11s;|"
    sed -i -e "/^upstream guangxi {/,/^}/{$set}" \
        -e "/^upstream relay {/,/^}/{s|^\(\s*health_check\s\+\)[^;]*;|\1off;|}" "$1"
    if ! grep -q "^\s*timeout $FAULT_TIMEOUT;" "$1" || ! grep -q '^\s*idle_timeout 1s;' "$1"; then
        fail "the gateway configuration gets timeout $FAULT_TIMEOUT and idle_timeout 1s"
        e2e_finish
    fi
}

# arm PARAMS: arm a fault (PARAMS as in the control endpoint's query:
# "mode=slow&ms=3000&infno=2207"); ends the test when the simulator refuses.
arm() {
    local out
    out=$(curl -s --noproxy '*' -m 5 -w '\n%{http_code}' -X POST "$SIM_CONTROL/fault?$1")
    if [ "${out##*$'\n'}" != 200 ]; then
        fail "the simulator arms the fault $1" "$out"
        e2e_finish
    fi
}

# disarm: clear every armed fault.
disarm() {
    curl -s --noproxy '*' -m 5 -o /dev/null -X DELETE "$SIM_CONTROL/fault"
}

# fired MODE: how many times the simulator applied faults of MODE.
fired() {
    curl -s --noproxy '*' -m 5 "$SIM_CONTROL/fault" |
        sed -n "s/.*\"fired\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}

# sim_processed MSGID: the simulator's /sim/processed answer (one JSON line).
sim_processed() {
    curl -s --noproxy '*' -m 5 "$SIM_CONTROL/processed?msgid=$1"
}

stamp() { date +%Y%m%d%H%M%S; }

# envelope INFNO INSUPLC INPUT_JSON: a message of the demo hospital with a
# fresh msgid (the serial lives in a file, as envelope runs in $(...)) and
# the sign_no in SIGN_NO.
envelope() {
    local seq
    seq=$(($(cat "$E2E_TMP/seq" 2>/dev/null || echo 0) + 1))
    echo "$seq" >"$E2E_TMP/seq"
    printf '{"infno":"%s","msgid":"H45019900055%s%04d","mdtrtarea_admvs":"450199",' \
        "$1" "$(stamp)" "$seq"
    printf '"insuplc_admdvs":"%s","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"",' "$2"
    printf '"cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001",'
    printf '"opter_name":"收费员甲","inf_time":"%s","fixmedins_code":"H45019900055",' \
        "$(date '+%Y-%m-%d %H:%M:%S')"
    printf '"fixmedins_name":"演示医院","sign_no":"%s","input":%s}' "${SIGN_NO:-}" "$3"
}

# query_1101: 测试甲's person query (the person of visits/outpatient.json).
query_1101() {
    local certno=450103199001010011 data
    data="\"mdtrt_cert_type\":\"02\",\"mdtrt_cert_no\":\"$certno\",\"card_sn\":\"\""
    data="$data,\"begntime\":\"$(date '+%Y-%m-%d %H:%M:%S')\",\"psn_cert_type\":\"01\""
    data="$data,\"certno\":\"$certno\",\"psn_name\":\"测试甲\""
    envelope 1101 "" "{\"data\":{$data}}"
}

# send TEXT: POST a message to the gateway; sets STATUS, BODY, HEADERS, MS
# (the exchange's wall time in milliseconds) and SENT_MSGID.
send() {
    printf '%s' "$1" >"$E2E_TMP/req.json"
    SENT_MSGID=$(sed -n 's/^{"infno":"[^"]*","msgid":"\([^"]*\)".*/\1/p' "$E2E_TMP/req.json")
    HEADERS="$E2E_TMP/headers.$RANDOM"
    BODY="$E2E_TMP/body.$RANDOM"
    local out
    out=$(curl -s --noproxy '*' -m 30 -D "$HEADERS" -o "$BODY" -w '%{http_code} %{time_total}' \
        -H 'Content-Type: application/json' -H 'Expect:' --data-binary "@$E2E_TMP/req.json" \
        "$GW_URL" 2>/dev/null)
    STATUS=${out%% *}
    MS=$(awk -v t="${out##* }" 'BEGIN { printf "%d", t * 1000 }')
    [ -n "$STATUS" ] || STATUS=000
}

header() { sed -n "s/^$1: *//Ip" "$HEADERS" | tr -d '\r' | head -1; }
err_msg() { json_str "$BODY" err_msg; }
infcode() { json_num "$BODY" infcode; }

# has TEXT PATTERN / lacks TEXT PATTERN: a fixed-string test on an answer.
has() { grep -qF -- "$2" <<<"$1"; }
lacks() { ! grep -qF -- "$2" <<<"$1"; }

# gateway_alive WHAT: after a fault, the gateway still runs, answers /livez
# and answers a normal 1101 (infcode 0).
gateway_alive() {
    if ! kill -0 "$GW_PID" 2>/dev/null; then
        fail "the gateway is still running after $1"
        e2e_finish
    fi
    check "after $1: /livez answers 200" e2e_wait_url "$ADMIN_URL/livez" 2 200
    send "$(query_1101)"
    check "after $1: a normal 1101 is answered (infcode $(infcode))" test "$(infcode)" = 0
}

# upstream_errors KIND: ybgw_upstream_errors_total of the guangxi upstream.
upstream_errors() {
    metric "ybgw_upstream_errors_total{upstream=\"guangxi\",kind=\"$1\"}"
}

# fresh_connection: wait until the gateway's pooled connection to the
# simulator is too old to be reused (idle_timeout 1s, counted by libcurl in
# whole seconds), so that the next call opens a new one.
fresh_connection() {
    sleep 2.2
}

# settlement_2207 PREP_JSON CHRG_BCHNO: the 2207 of a visit prepared by
# visits/settle_prepare.json (its `ybgwctl visit --json` listing), as one
# envelope with a fresh msgid and the sign_no in SIGN_NO. Print it once and
# keep the text: a repeat must be the same message.
settlement_2207() {
    local f=$1 data
    data="\"psn_no\":\"$(saved "$f" psn_no)\",\"mdtrt_cert_type\":\"02\""
    data="$data,\"mdtrt_cert_no\":\"450103199001010011\",\"med_type\":\"11\""
    data="$data,\"medfee_sumamt\":\"163.50\",\"psn_setlway\":\"01\""
    data="$data,\"mdtrt_id\":\"$(saved "$f" mdtrt_id)\",\"chrg_bchno\":\"$2\""
    data="$data,\"acct_used_flag\":\"1\",\"insutype\":\"$(saved "$f" insutype)\""
    envelope 2207 "$(saved "$f" insuplc_admdvs)" "{\"data\":{$data}}"
}
