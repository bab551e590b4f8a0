#!/bin/bash
# run.sh - the quick start behind `make run` and `make demo`.
#
#   run.sh run    the simulator, the gateway and the off-site relay in the
#                 foreground on the default ports (simulator 9900-9903,
#                 gateway 9800 with admin 9801, relay 9810 with admin 9811);
#                 Ctrl-C stops them all
#   run.sh demo   the same in the background: wait until ready, drive the
#                 outpatient and the inpatient visit through the gateway with
#                 ybgwctl, stop both, exit 0 when every step met its
#                 expectation
#
# Binaries come from the build tree (the current directory, where make
# runs), configurations and data from the source tree. The processes run on
# copies of conf/ybgw.conf, conf/relay.conf and conf/sim.conf in a temporary
# directory, with absolute paths and the ports asked for (YBGW_PORT,
# YBGW_ADMIN_PORT, YBGW_SIM_PORT, YBGW_RELAY_PORT, YBGW_RELAY_ADMIN_PORT);
# their state (the simulator's, the mapping store, the filings, the secret
# the gateway and the relay share) lives there too, never in the source tree.

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
RELAY_PORT=${YBGW_RELAY_PORT:-9810}
RELAY_ADMIN_PORT=${YBGW_RELAY_ADMIN_PORT:-9811}
GW_URL="http://127.0.0.1:$GW_PORT$SERVICE_PATH"
ADMIN_URL="http://127.0.0.1:$ADMIN_PORT"
RELAY_ADMIN_URL="http://127.0.0.1:$RELAY_ADMIN_PORT"

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
for p in $(printf '%s\n' "$GW_PORT" "$ADMIN_PORT" "$RELAY_PORT" "$RELAY_ADMIN_PORT" $sim_ports |
    sort -un); do
    port_busy "$p" && busy="$busy 127.0.0.1:$p"
done
if [ -n "$busy" ]; then
    say "cannot start: already in use:$busy" >&2
    say "another ybgw or ybgw-sim (make run?) is listening there; stop it, or choose other" \
        "ports with YBGW_PORT, YBGW_ADMIN_PORT, YBGW_SIM_PORT, YBGW_RELAY_PORT and" \
        "YBGW_RELAY_ADMIN_PORT" >&2
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

# the configurations: copies with absolute paths and these ports
sim_conf="$E2E_TMP/sim.conf"
gw_conf="$E2E_TMP/ybgw.conf"
relay_conf="$E2E_TMP/relay.conf"
e2e_gateway_conf "$gw_conf"
e2e_relay_conf "$relay_conf"
if [ -f "$top_builddir/catalog.db" ]; then cp "$top_builddir/catalog.db" "$E2E_TMP/catalog.db"; fi

cd "$E2E_TMP" || exit 1
if [ "$mode" = run ]; then
    say "simulator on 127.0.0.1:$SIM_PORT and up, gateway on 127.0.0.1:$GW_PORT (admin" \
        "$ADMIN_PORT), relay on 127.0.0.1:$RELAY_PORT (admin $RELAY_ADMIN_PORT)"
    say "configurations and state in $E2E_TMP; Ctrl-C stops all three"
    "$SIM" -c "$sim_conf" &
    pids+=("$!")
    if ! e2e_wait_port "$SIM_PORT" 10; then
        say "the simulator did not start" >&2
        exit 1
    fi
    "$YBGW" -c "$relay_conf" &
    pids+=("$!")
    "$YBGW" -c "$gw_conf" &
    pids+=("$!")
    if e2e_wait_url "$RELAY_ADMIN_URL/readyz" 10 200 && e2e_wait_url "$ADMIN_URL/readyz" 10 200; then
        say "ready: POST to $GW_URL (try: $CTL visit $top_srcdir/tests/e2e/visits/outpatient.json)"
    fi
    # until any process ends or Ctrl-C
    wait -n "${pids[@]}"
    status=$?
    say "a process ended (status $status); stopping the others"
    exit "$status"
fi

# ---- demo ----
"$SIM" -c "$sim_conf" >"$E2E_TMP/sim.log" 2>&1 &
pids+=("$!")
"$YBGW" -c "$relay_conf" >"$E2E_TMP/relay.log" 2>&1 &
pids+=("$!")
"$YBGW" -c "$gw_conf" >"$E2E_TMP/ybgw.log" 2>&1 &
pids+=("$!")
if ! e2e_wait_port "$SIM_PORT" 10 || ! e2e_wait_url "$RELAY_ADMIN_URL/readyz" 10 200 ||
    ! e2e_wait_url "$ADMIN_URL/readyz" 10 200; then
    say "the simulator, the relay or the gateway did not become ready in 10 s" >&2
    for log in "$E2E_TMP/sim.log" "$E2E_TMP/relay.log" "$E2E_TMP/ybgw.log"; do
        printf '\n----- %s -----\n' "$(basename "$log")" >&2
        tail -n 40 "$log" >&2
    done
    exit 1
fi
say "simulator 127.0.0.1:$SIM_PORT, gateway 127.0.0.1:$GW_PORT: ready"
status=0
for script in outpatient.json inpatient.json offsite.json; do
    script="$top_srcdir/tests/e2e/visits/$script"
    echo
    "$CTL" visit --url "$GW_URL" "$script" || status=1
done
echo
if [ "$status" -eq 0 ]; then
    say "ok: every transaction of the three visits went through the gateway as expected"
else
    say "FAILED (gateway log follows)" >&2
    tail -n 40 "$E2E_TMP/ybgw.log" >&2
fi
exit "$status"
