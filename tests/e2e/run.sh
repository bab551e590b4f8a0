#!/bin/bash
# run.sh - the quick start behind `make run` and `make demo`.
#
#   run.sh run    the simulator and the gateway in the foreground on the
#                 default ports (9900, 9800, admin 9801); Ctrl-C stops both
#   run.sh demo   the same in the background: wait until ready, drive the
#                 outpatient and the inpatient visit through the gateway with
#                 ybgwctl, stop both, exit 0 when every step met its
#                 expectation
#
# Binaries come from the build tree (the current directory, where make
# runs), configurations and data from the source tree. The processes run in
# the source tree so that the relative paths of conf/ybgw.conf resolve; when
# the build tree is elsewhere, or other ports are asked for (YBGW_PORT,
# YBGW_ADMIN_PORT, YBGW_SIM_PORT), a copy of the configurations with those
# paths and ports is used instead. The simulator always keeps its state in a
# temporary directory, never in the source tree.

set -u

mode=${1:-}
case "$mode" in
run | demo) ;;
*)
    echo "usage: $0 run|demo" >&2
    exit 2
    ;;
esac

script_dir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$script_dir/../.." && pwd)
if [ -z "${top_builddir:-}" ]; then
    if [ -x "$PWD/gateway/ybgw" ]; then top_builddir=$PWD; else top_builddir=$top_srcdir; fi
fi
export top_srcdir top_builddir
# shellcheck source=lib.sh
. "$script_dir/lib.sh"

GW_PORT=${YBGW_PORT:-9800}
ADMIN_PORT=${YBGW_ADMIN_PORT:-9801}
SIM_PORT=${YBGW_SIM_PORT:-9900}
GW_URL="http://127.0.0.1:$GW_PORT$SERVICE_PATH"
ADMIN_URL="http://127.0.0.1:$ADMIN_PORT"

say() { printf 'ybgw %s: %s\n' "$mode" "$*"; }

for b in "$YBGW" "$SIM" "$CTL"; do
    if [ ! -x "$b" ]; then
        say "$b is not built; run make first" >&2
        exit 1
    fi
done
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ybgw-$mode.XXXXXX") || exit 1
e2e_sim_conf "$E2E_TMP/sim.conf"
sim_ports=$(sed -n 's/^\s*listen\s\+127\.0\.0\.1:\([0-9]\+\);.*/\1/p' "$E2E_TMP/sim.conf")
busy=""
for p in $(printf '%s\n' "$GW_PORT" "$ADMIN_PORT" $sim_ports | sort -un); do
    port_busy "$p" && busy="$busy 127.0.0.1:$p"
done
if [ -n "$busy" ]; then
    say "cannot start: already in use:$busy" >&2
    say "another ybgw or ybgw-sim (make run?) is listening there; stop it, or choose other" \
        "ports with YBGW_PORT, YBGW_ADMIN_PORT and YBGW_SIM_PORT" >&2
    rm -rf "$E2E_TMP"
    exit 1
fi

pids=()

stop_all() {
    local pid i
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    pids=()
}

finish() {
    local status=$?
    trap - EXIT INT TERM
    stop_all
    rm -rf "$E2E_TMP"
    exit "$status"
}
trap finish EXIT
trap 'echo; say "stopping"; exit 0' INT TERM

# the configurations: the defaults themselves when they fit as they are
sim_conf="$E2E_TMP/sim.conf"
if [ "$top_builddir" = "$top_srcdir" ] && [ "$GW_PORT:$ADMIN_PORT:$SIM_PORT" = 9800:9801:9900 ]; then
    gw_conf=conf/ybgw.conf
else
    gw_conf="$E2E_TMP/ybgw.conf"
    e2e_gateway_conf "$gw_conf"
fi

cd "$top_srcdir" || exit 1
if [ "$mode" = run ]; then
    say "simulator on 127.0.0.1:$SIM_PORT, gateway on 127.0.0.1:$GW_PORT (admin $ADMIN_PORT)"
    say "configurations: $gw_conf, conf/sim.conf (state in $E2E_TMP); Ctrl-C stops both"
    "$SIM" -c "$sim_conf" &
    pids+=("$!")
    if ! e2e_wait_port "$SIM_PORT" 10; then
        say "the simulator did not start" >&2
        exit 1
    fi
    "$YBGW" -c "$gw_conf" &
    pids+=("$!")
    if e2e_wait_url "$ADMIN_URL/readyz" 10 200; then
        say "ready: POST to $GW_URL (try: $CTL visit tests/e2e/visits/outpatient.json)"
    fi
    # until either process ends or Ctrl-C
    wait -n "${pids[@]}"
    status=$?
    say "a process ended (status $status); stopping the other"
    exit "$status"
fi

# ---- demo ----
"$SIM" -c "$sim_conf" >"$E2E_TMP/sim.log" 2>&1 &
pids+=("$!")
"$YBGW" -c "$gw_conf" >"$E2E_TMP/ybgw.log" 2>&1 &
pids+=("$!")
if ! e2e_wait_port "$SIM_PORT" 10 || ! e2e_wait_url "$ADMIN_URL/readyz" 10 200; then
    say "the simulator or the gateway did not become ready in 10 s" >&2
    for log in "$E2E_TMP/sim.log" "$E2E_TMP/ybgw.log"; do
        printf '\n----- %s -----\n' "$(basename "$log")" >&2
        tail -n 40 "$log" >&2
    done
    exit 1
fi
say "simulator 127.0.0.1:$SIM_PORT, gateway 127.0.0.1:$GW_PORT: ready"
status=0
for script in tests/e2e/visits/outpatient.json tests/e2e/visits/inpatient.json; do
    echo
    "$CTL" visit --url "$GW_URL" "$script" || status=1
done
echo
if [ "$status" -eq 0 ]; then
    say "ok: every transaction of both visits went through the gateway as expected"
else
    say "FAILED (gateway log follows)" >&2
    tail -n 40 "$E2E_TMP/ybgw.log" >&2
fi
exit "$status"
