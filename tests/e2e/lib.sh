# tests/e2e/lib.sh - shared helpers for the end-to-end scripts.
#
# Sourced, not run. An e2e test starts the real simulator and the real
# gateway on loopback ports of its own (several tests run at once under
# make -j2), talks to them with curl and ybgwctl, and always stops what it
# started: the EXIT trap kills and waits for every process it launched and
# removes its temporary directory, and prints the logs when the test failed.
#
# Binaries come from $top_builddir, configurations and data from $top_srcdir
# (make check exports both). Only 127.0.0.1 is ever used. Every loop is
# bounded.

# shellcheck shell=bash disable=SC2034,SC2119,SC2120  # a library: its names are used by the tests
set -u

e2e_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$e2e_lib_dir/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

E2E_NAME=$(basename "$0" .sh)
YBGW="$top_builddir/gateway/ybgw"
SIM="$top_builddir/sim/ybgw-sim"
CTL="$top_builddir/tools/ybgwctl"
E2E_DIR="$top_srcdir/tests/e2e"
VISITS="$E2E_DIR/visits"
SERVICE_PATH=/fsi/api/rsfComIfsService/callService

E2E_TMP=""
E2E_PIDS=()
E2E_PASSED=0
E2E_FAILED=0
E2E_FAILURES=()

# ---- results ----

# ok DESCRIPTION / fail DESCRIPTION [DETAIL]: count one check.
ok() {
    E2E_PASSED=$((E2E_PASSED + 1))
    printf 'ok   %s\n' "$1"
}

fail() {
    E2E_FAILED=$((E2E_FAILED + 1))
    E2E_FAILURES+=("$1")
    printf 'FAIL %s\n' "$1"
    if [ $# -gt 1 ] && [ -n "$2" ]; then
        printf '     %s\n' "$2" | head -c 2000
        printf '\n'
    fi
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# e2e_finish: the closing line the harness reads, and the exit status.
e2e_finish() {
    local f
    if [ "$E2E_FAILED" -gt 0 ]; then
        printf '\nfailed checks:\n'
        for f in "${E2E_FAILURES[@]}"; do printf '  %s\n' "$f"; done
    fi
    printf '%d passed, %d failed\n' "$E2E_PASSED" "$E2E_FAILED"
    if [ "$E2E_FAILED" -gt 0 ]; then exit 1; fi
    exit 0
}

skip() {
    printf 'SKIP %s: %s\n' "$E2E_NAME" "$1"
    printf '0 passed, 0 failed\n'
    exit 77
}

# ---- set-up and tear-down ----

# e2e_need BINARY...: skip the test when a binary was not built.
e2e_need() {
    local b
    for b in "$@"; do
        [ -x "$b" ] || skip "$b is not built"
    done
    command -v curl >/dev/null 2>&1 || skip "curl is not installed"
}

e2e_cleanup() {
    local status=$?
    local pid i
    trap - EXIT INT TERM
    for pid in "${E2E_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    # give each process up to 5 s to drain, then insist
    for pid in "${E2E_PIDS[@]}"; do
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && [ -n "$E2E_TMP" ]; then
        e2e_dump_logs
    fi
    if [ -n "$E2E_TMP" ] && [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$E2E_TMP"
    fi
    exit "$status"
}

e2e_dump_logs() {
    local log
    for log in "$E2E_TMP"/*.log; do
        [ -f "$log" ] || continue
        printf '\n----- %s (last 60 lines) -----\n' "$(basename "$log")"
        tail -n 60 "$log"
    done
}

# e2e_init: temporary directory and the trap; call first.
e2e_init() {
    E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ybgw-e2e-$E2E_NAME.XXXXXX") || exit 1
    trap e2e_cleanup EXIT
    trap 'exit 1' INT TERM
}

# port_busy PORT: true when something listens on 127.0.0.1:PORT.
port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_free() {
    ! port_busy "$1"
}

# e2e_pick_ports N: set PORTS to N consecutive free loopback ports, from a
# base derived from the test's name and pid so parallel tests rarely meet.
# The ports lie below the kernel's range for outgoing connections
# (ip_local_port_range, 32768 up by default): a port found free there can be
# taken by any client's connection before the server binds it.
e2e_pick_ports() {
    local n=$1 base attempt i p free low=20000 high=32000
    local sum range
    range=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    range=${range%%[[:space:]]*}
    if [ -n "$range" ] && [ "$range" -gt 12000 ] && [ "$range" -le 32768 ]; then
        high=$((range - 100))
        low=$((high - 12000))
    fi
    sum=$(printf '%s' "$E2E_NAME" | cksum | cut -d' ' -f1)
    base=$((low + (sum + $$ * 17) % (high - low)))
    for attempt in $(seq 0 40); do
        p=$((base + attempt * 7))
        [ $((p + n)) -gt "$high" ] && p=$((p - (high - low)))
        free=1
        for i in $(seq 0 $((n - 1))); do
            if port_busy $((p + i)); then
                free=0
                break
            fi
        done
        if [ "$free" -eq 1 ]; then
            PORTS=()
            for i in $(seq 0 $((n - 1))); do PORTS+=($((p + i))); done
            return 0
        fi
    done
    echo "no free loopback ports found" >&2
    exit 1
}

# e2e_ports: GW_PORT ADMIN_PORT SPARE_PORT, SIM_PORT with four more after it
# for the simulator's other platforms (9900, 9901, ... in conf/sim.conf
# become SIM_PORT, SIM_PORT+1, ...), and RELAY_PORT RELAY_ADMIN_PORT for the
# relay of conf/relay.conf (9810, 9811); the URLs built on them. With N,
# N more free ports in EXTRA_PORTS.
e2e_ports() {
    e2e_pick_ports $((10 + ${1:-0}))
    EXTRA_PORTS=("${PORTS[@]:10}")
    GW_PORT=${PORTS[0]}
    ADMIN_PORT=${PORTS[1]}
    SPARE_PORT=${PORTS[2]}
    SIM_PORT=${PORTS[3]}
    RELAY_PORT=${PORTS[8]}
    RELAY_ADMIN_PORT=${PORTS[9]}
    GW_URL="http://127.0.0.1:$GW_PORT$SERVICE_PATH"
    ADMIN_URL="http://127.0.0.1:$ADMIN_PORT"
    SIM_URL="http://127.0.0.1:$SIM_PORT$SERVICE_PATH"
    RELAY_URL="http://127.0.0.1:$RELAY_PORT$SERVICE_PATH"
    RELAY_ADMIN_URL="http://127.0.0.1:$RELAY_ADMIN_PORT"
    export YBGW_URL="$GW_URL"
}

# e2e_secret NAME: $E2E_TMP/NAME.key, a random secret two gateways share,
# made once per test (mode 0600, as ybgw demands).
e2e_secret() {
    [ -f "$E2E_TMP/$1.key" ] ||
        (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/$1.key")
}

# e2e_relay_key: the secret the gateway and the relay of the shipped
# configurations share.
e2e_relay_key() {
    e2e_secret relay
}

# relay_port_args: RELAY_SED, sed arguments moving the relay's 9810 and 9811
# to RELAY_PORT and RELAY_ADMIN_PORT, and its shared secret to this test's.
relay_port_args() {
    RELAY_SED=(-e "s|127\.0\.0\.1:9810\([^0-9]\)|127.0.0.1:${RELAY_PORT:-9810}\1|g"
        -e "s|127\.0\.0\.1:9811\([^0-9]\)|127.0.0.1:${RELAY_ADMIN_PORT:-9811}\1|g"
        -e "s|^\(\s*secret_file\s\+\)\.\./relay\.key;|\1$E2E_TMP/relay.key;|")
}

# journal_args: JOURNAL_SED, sed arguments giving a configuration this
# test's journal key and an absolute journal path of its own (the gateway's
# journal.db, the relay's relay-journal.db; a test that derives a third
# gateway gives it another path).
journal_args() {
    e2e_secret journal
    JOURNAL_SED=(-e "s|^\(\s*key_file\s\+\)\.\./journal\.key;|\1$E2E_TMP/journal.key;|"
        -e "s|^\(\s*path\s\+\)\(\(relay-\)\?journal\.db\);|\1$E2E_TMP/\2;|")
}

# common_path_args: PATH_SED, sed arguments making the relative paths of a
# gateway configuration absolute (the tests do not run in the source tree).
common_path_args() {
    PATH_SED=(-e "s|^\(\s*schemas\s\+\)conf/schemas;|\1$top_srcdir/conf/schemas;|"
        -e "s|^\(\s*plugin_dir\s\+\)plugins/\.libs;|\1$top_builddir/plugins/.libs;|"
        -e "s|^\(\s*data_dir\s\+\)codesets;|\1$top_srcdir/codesets;|"
        -e "s|^\(\s*code_tables\s\+\)codesets/codes\.db;|\1$top_builddir/codesets/codes.db;|")
}

# sim_port_args: SIM_SED, sed arguments moving 127.0.0.1:9900..9904 (the
# simulator's platforms) to SIM_PORT+0..4.
sim_port_args() {
    local k
    SIM_SED=()
    for k in 0 1 2 3 4; do
        SIM_SED+=(-e "s|127\.0\.0\.1:990$k\([^0-9]\)|127.0.0.1:$((SIM_PORT + k))\1|g")
    done
}

# e2e_gateway_conf OUT [UPSTREAM_PORT]: conf/ybgw.conf with this test's
# ports and absolute paths (the test does not run from the source tree).
# With UPSTREAM_PORT, the upstream on 9900 goes there instead.
e2e_gateway_conf() {
    local out=$1
    sim_port_args
    relay_port_args
    common_path_args
    e2e_relay_key
    if [ $# -gt 1 ]; then
        SIM_SED=(-e "s|127\.0\.0\.1:9900\([^0-9]\)|127.0.0.1:$2\1|g" "${SIM_SED[@]}")
    fi
    journal_args
    sed -e "s|^\(\s*listen\s\+\)127\.0\.0\.1:9800;|\1127.0.0.1:$GW_PORT;|" \
        -e "s|^\(\s*admin_listen\s\+\)127\.0\.0\.1:9801;|\1127.0.0.1:$ADMIN_PORT;|" \
        "${SIM_SED[@]}" "${RELAY_SED[@]}" "${PATH_SED[@]}" "${JOURNAL_SED[@]}" \
        -e "s|^\(\s*store\s\+\)catalog\.db;|\1$E2E_TMP/catalog.db;|" \
        -e "s|^\(\s*filings\s\+\)offsite\.db;|\1$E2E_TMP/offsite.db;|" \
        "$top_srcdir/conf/ybgw.conf" >"$out"
    # the mapping store is written by the gateway: each test gets its own copy
    if [ ! -f "$E2E_TMP/catalog.db" ] && [ -f "$top_builddir/catalog.db" ]; then
        cp "$top_builddir/catalog.db" "$E2E_TMP/catalog.db"
    fi
}

# e2e_relay_conf OUT: conf/relay.conf on this test's ports, with its
# relative paths made absolute and this test's shared secret.
e2e_relay_conf() {
    local out=$1
    sim_port_args
    relay_port_args
    common_path_args
    e2e_relay_key
    journal_args
    sed "${SIM_SED[@]}" "${RELAY_SED[@]}" "${PATH_SED[@]}" "${JOURNAL_SED[@]}" \
        "$top_srcdir/conf/relay.conf" >"$out"
}

# e2e_start_relay [CONF [ADMIN_PORT [LOG]]]: a relay ybgw (default: this
# test's copy of conf/relay.conf); waits until its /readyz says 200. Sets
# RELAY_PID.
e2e_start_relay() {
    local conf=${1:-$E2E_TMP/relay.conf} admin=${2:-$RELAY_ADMIN_PORT}
    local log=${3:-$E2E_TMP/relay.log}
    [ -f "$conf" ] || e2e_relay_conf "$conf"
    (cd "$E2E_TMP" && exec "$YBGW" -c "$conf") >"$log" 2>&1 &
    RELAY_PID=$!
    E2E_PIDS+=("$RELAY_PID")
    if ! e2e_wait_url "http://127.0.0.1:$admin/readyz" 10 200; then
        fail "the relay from $(basename "$conf") becomes ready (admin 127.0.0.1:$admin)"
        e2e_finish
    fi
}

# e2e_sim_conf OUT: conf/sim.conf on this test's simulator ports, with its
# relative paths made absolute and any database file in the temporary
# directory.
e2e_sim_conf() {
    local out=$1
    sim_port_args
    sed "${SIM_SED[@]}" \
        -e "s|^\(\s*database\s\+\)[^:;][^;]*;|\1$E2E_TMP/sim.db;|" \
        -e "s|^\(\s*persons\s\+\)\([^/;][^;]*\);|\1$top_srcdir/\2;|" \
        -e "s|^\(\s*mappings\s\+\)\([^/;][^;]*\);|\1$top_srcdir/\2;|" \
        "$top_srcdir/conf/sim.conf" >"$out"
}

# e2e_wait_url URL [SECONDS] [STATUS]: poll until URL answers STATUS (200).
e2e_wait_url() {
    local url=$1 seconds=${2:-10} want=${3:-200} i code
    for i in $(seq 1 $((seconds * 10))); do
        code=$(curl -s --noproxy '*' -o /dev/null -m 1 -w '%{http_code}' "$url" 2>/dev/null)
        [ "$code" = "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

# e2e_wait_port PORT [SECONDS]: poll until something listens.
e2e_wait_port() {
    local port=$1 seconds=${2:-10} i
    for i in $(seq 1 $((seconds * 10))); do
        port_busy "$port" && return 0
        sleep 0.1
    done
    return 1
}

# e2e_start_sim: the simulator on SIM_PORT, from this test's sim.conf.
e2e_start_sim() {
    e2e_sim_conf "$E2E_TMP/sim.conf"
    (cd "$E2E_TMP" && exec "$SIM" -c "$E2E_TMP/sim.conf") >"$E2E_TMP/sim.log" 2>&1 &
    SIM_PID=$!
    E2E_PIDS+=("$SIM_PID")
    if ! e2e_wait_port "$SIM_PORT" 10; then
        fail "the simulator listens on 127.0.0.1:$SIM_PORT"
        e2e_finish
    fi
}

# e2e_start_gateway [CONF]: the gateway, from CONF (default: this test's
# copy of conf/ybgw.conf); waits until /readyz says 200.
e2e_start_gateway() {
    local conf=${1:-$E2E_TMP/ybgw.conf}
    [ -f "$conf" ] || e2e_gateway_conf "$conf"
    (cd "$E2E_TMP" && exec "$YBGW" -c "$conf") >"$E2E_TMP/ybgw.log" 2>&1 &
    GW_PID=$!
    E2E_PIDS+=("$GW_PID")
    if ! e2e_wait_url "$ADMIN_URL/readyz" 10 200; then
        fail "the gateway becomes ready on 127.0.0.1:$GW_PORT"
        e2e_finish
    fi
}

# e2e_start_all: simulator and gateway, ready to serve.
e2e_start_all() {
    e2e_start_sim
    e2e_start_gateway
}

# e2e_forget_pid PID: the process ended and was reaped by the test itself.
e2e_forget_pid() {
    local keep=() pid
    for pid in "${E2E_PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    E2E_PIDS=("${keep[@]}")
}

# ---- talking to the gateway ----

# post URL FILE [CONTENT_TYPE]: POST a file; sets STATUS and BODY (a file).
post() {
    local url=$1 file=$2 type=${3:-application/json}
    BODY="$E2E_TMP/body.$RANDOM"
    STATUS=$(curl -s --noproxy '*' -m 30 -o "$BODY" -w '%{http_code}' \
        -H "Content-Type: $type" -H 'Expect:' --data-binary "@$file" "$url" 2>/dev/null)
    [ -n "$STATUS" ] || STATUS=000
}

# json_str FILE KEY: the top-level string KEY of a compact JSON answer,
# with \" and \\ undone (enough for err_msg and warn_msg).
json_str() {
    sed -n "s/.*\"$2\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" "$1" | head -n 1 |
        sed -e 's/\\"/"/g' -e 's/\\\//\//g' -e 's/\\\\/\\/g'
}

# json_num FILE KEY: a top-level number (infcode).
json_num() {
    sed -n "s/.*\"$2\":\(-\?[0-9.]\+\).*/\1/p" "$1" | head -n 1
}

# metric NAME_WITH_LABELS: a value from /metrics (0 when absent). The
# argument is matched as a prefix of the line, labels included.
metric() {
    curl -s --noproxy '*' -m 5 "$ADMIN_URL/metrics" |
        awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d\n", s }'
}

# saved FILE NAME: a value a visit saved, from its `ybgwctl visit --json`
# listing FILE
saved() {
    sed -n "s/.*\"saved\":{[^}]*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1" | head -n 1
}

# settled_stay FILE: the values of an inpatient stay settled by a visit
# (its `ybgwctl visit --json` listing FILE, with FILE's .err beside it as
# stay.err): SIGN_NO PSN_NO INSUTYPE INSUPLC MDTRT_ID SETL_ID FUND ACCT CASH
# PART OWNPAY FUND_TYPE, and SELFPAY (个人自付: the person's part less the
# full self-pay). Ends the test when the settlement is missing.
settled_stay() {
    local f=$1
    SIGN_NO=$(saved "$f" sign_no)
    PSN_NO=$(saved "$f" psn_no)
    INSUTYPE=$(saved "$f" insutype)
    INSUPLC=$(saved "$f" insuplc_admdvs)
    MDTRT_ID=$(saved "$f" mdtrt_id)
    SETL_ID=$(saved "$f" setl_id)
    FUND=$(saved "$f" fund_pay_sumamt)
    ACCT=$(saved "$f" acct_pay)
    CASH=$(saved "$f" psn_cash_pay)
    PART=$(saved "$f" psn_part_amt)
    OWNPAY=$(saved "$f" fulamt_ownpay_amt)
    FUND_TYPE=$(saved "$f" fund_pay_type)
    if [ -z "$SETL_ID" ] || [ -z "$FUND" ] || [ -z "$CASH" ] || [ -z "$PART" ] || [ -z "$SIGN_NO" ]; then
        fail "2304 answered setl_id and the amounts" "$(cat "$f" "${f%.out}.err")"
        e2e_finish
    fi
    ok "settled $SETL_ID: fund $FUND, account $ACCT, cash $CASH"
    SELFPAY=$(fen_amount $(($(cents "$PART") - $(cents "$OWNPAY"))))
}

# fen_amount FEN: 63150 -> 631.50 (the inverse of cents)
fen_amount() {
    printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# iteminfo_line MED_CHRGITM AMOUNT LEVEL: a 4101 iteminfo entry for a charge
# item by the level 2301 answered (01 甲, 02 乙, 03 自费)
iteminfo_line() {
    local a=0.00 b=0.00 own=0.00
    case "$3" in
    01) a=$2 ;;
    02) b=$2 ;;
    *) own=$2 ;;
    esac
    printf '{"med_chrgitm":"%s","amt":"%s","claa_sumfee":"%s","clab_amt":"%s","fulamt_ownpay_amt":"%s","oth_amt":"0.00"}' \
        "$1" "$2" "$a" "$b" "$own"
}

# visit SCRIPT [ARGS...]: ybgwctl visit against this test's gateway.
# e2e_wait_exit PID: wait up to 10 s for PID to exit and set E2E_EXIT to its
# exit status, or to "" if it is still running (then it stays in the cleanup
# list). Call it directly, not in $(...): only this shell can wait for PID.
e2e_wait_exit() {
    local pid=$1 i
    E2E_EXIT=""
    for i in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid"
            E2E_EXIT=$?
            e2e_forget_pid "$pid"
            return
        fi
        sleep 0.1
    done
}

# check_visit_json FILE MIN_STEPS: every step of a `ybgwctl visit --json`
# listing met its expectation, there were at least MIN_STEPS, and every
# answer came back through the guangxi route.
check_visit_json() {
    local json=$1 min=$2 steps met routed
    steps=$(grep -c '"step":' "$json")
    met=$(grep -c '"met":true' "$json")
    if [ "$steps" -ge "$min" ] && [ "$met" -eq "$steps" ]; then
        ok "all $steps steps met their expectation"
    else
        fail "all steps met their expectation ($met of $steps)"
    fi
    routed=$(grep '"step":' "$json" | grep -c '"route":"guangxi"')
    check "every answer carries X-Ybgw-Route: guangxi ($routed of $steps)" [ "$routed" -eq "$steps" ]
}

visit() {
    local script=$1
    shift
    "$CTL" visit --url "$GW_URL" --schemas "$top_srcdir/conf/schemas" "$@" "$script"
}

# ---- messages made at run time ----

E2E_SERIAL=$(( ($$ * 31 + RANDOM) % 9000 ))

# next_msgid [FIXMEDINS_CODE]: a fresh, well-formed msgid in MSGID. It sets
# a variable rather than printing, because $(...) would run it in a subshell
# and the serial would never move on.
next_msgid() {
    E2E_SERIAL=$(( (E2E_SERIAL + 1) % 10000 ))
    MSGID=$(printf '%s%s%04d' "${1:-H45019900055}" "$(date +%Y%m%d%H%M%S)" "$E2E_SERIAL")
}

# write_9001 FILE [MSGID]: a good sign-in request from the demo hospital.
write_9001() {
    local msgid
    if [ $# -gt 1 ]; then
        msgid=$2
    else
        next_msgid
        msgid=$MSGID
    fi
    cat >"$1" <<JSON
{"infno":"9001","msgid":"$msgid","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"","input":{"signIn":{"opter_no":"0001","mac":"02-00-00-00-00-01","ip":"127.0.0.1"}}}
JSON
}

# cents AMOUNT: "63.5" -> 6350, for exact sums in shell arithmetic.
cents() {
    local a=$1 int frac
    int=${a%%.*}
    if [ "$int" = "$a" ]; then frac=00; else frac=${a#*.}00; fi
    frac=${frac:0:2}
    echo $(( 10#${int:-0} * 100 + 10#$frac ))
}
