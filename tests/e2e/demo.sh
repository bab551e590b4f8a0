#!/bin/bash
# demo.sh - `make demo` works: tests/e2e/run.sh demo starts the simulator
# and the gateway, drives both visits, stops them and exits 0, and what it
# printed shows the transactions. It runs on free ports of its own (not
# the defaults), so it can run beside other tests and beside `make run`.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports

out="$E2E_TMP/demo.txt"
YBGW_PORT=$GW_PORT YBGW_ADMIN_PORT=$ADMIN_PORT YBGW_SIM_PORT=$SIM_PORT \
    timeout 120 bash "$E2E_DIR/run.sh" demo >"$out" 2>&1
rc=$?
cat "$out"
check "run.sh demo exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "the demo ran the outpatient settlement (2207 门诊结算)" grep -q '2207  门诊结算' "$out"
check "the demo ran the inpatient settlement (2304 住院结算)" grep -q '2304  住院结算' "$out"
check "the demo printed settlement amounts" grep -q 'medfee_sumamt 163.50' "$out"
check "the demo says both visits met their expectations" grep -q 'ybgw demo: ok' "$out"
check "the demo stopped what it started (port $GW_PORT is free)" port_free "$GW_PORT"
check "the demo stopped what it started (port $SIM_PORT is free)" port_free "$SIM_PORT"

# the default ports taken: a clear message and a non-zero exit
slow="$top_builddir/tests/e2e/slowpeer"
if [ -x "$slow" ]; then
    "$slow" "$SPARE_PORT" 0 30 >/dev/null 2>&1 &
    E2E_PIDS+=("$!")
    e2e_wait_port "$SPARE_PORT" 5
    YBGW_PORT=$SPARE_PORT YBGW_ADMIN_PORT=$ADMIN_PORT YBGW_SIM_PORT=$SIM_PORT \
        timeout 30 bash "$E2E_DIR/run.sh" demo >"$E2E_TMP/busy.txt" 2>&1
    rc=$?
    cat "$E2E_TMP/busy.txt"
    check "run.sh demo refuses a port in use (exit $rc)" [ "$rc" -ne 0 ]
    check "and says which one" grep -q "already in use: 127.0.0.1:$SPARE_PORT" "$E2E_TMP/busy.txt"
fi

e2e_finish
