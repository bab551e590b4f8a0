#!/bin/bash
# outpatient.sh - an outpatient visit (门诊) through the real gateway and the
# simulator: sign-in, person, registration, diagnosis, three fee lines,
# pre-settlement, settlement, a second settlement that must fail, revoke and
# sign-out. Every step must meet its expectation, every answer must come
# through the guangxi route, and the settlement amounts must add up exactly.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports
e2e_start_all

# ---- the visit, as a person reads it ----
out="$E2E_TMP/visit.txt"
visit "$VISITS/outpatient.json" >"$out" 2>&1
rc=$?
cat "$out"
check "ybgwctl visit outpatient.json exits 0" [ "$rc" -eq 0 ]
check "the listing names the settlement (2207 门诊结算)" grep -q '2207  门诊结算' "$out"
check "the listing shows the settled amount" grep -q 'medfee_sumamt 163.50' "$out"
check "the listing says the second 2207 failed as expected" \
    grep -q 'failed as expected' "$out"

# ---- the same visit again, machine-readable ----
json="$E2E_TMP/visit.json"
visit "$VISITS/outpatient.json" --json >"$json" 2>"$E2E_TMP/visit.err"
rc=$?
check "a second run of the visit (new msgids) exits 0" [ "$rc" -eq 0 ]
check_visit_json "$json" 10

settle=$(grep '"infno":"2207"' "$json" | grep '"met":true' | grep '"infcode":"0"' | head -n 1)
amount() { printf '%s' "$settle" | sed -n "s/.*\"$1\":\"\([0-9.]*\)\".*/\1/p"; }
medfee=$(amount medfee_sumamt)
fund=$(amount fund_pay_sumamt)
acct=$(amount acct_pay)
cash=$(amount psn_cash_pay)
check "2207 settled medfee_sumamt 163.50 (got '$medfee')" [ "$medfee" = "163.50" ]
if [ -n "$fund" ] && [ -n "$acct" ] && [ -n "$cash" ]; then
    sum=$(( $(cents "$fund") + $(cents "$acct") + $(cents "$cash") ))
    check "fund $fund + account $acct + cash $cash = 163.50 exactly" [ "$sum" -eq 16350 ]
else
    fail "2207 answered fund_pay_sumamt, acct_pay and psn_cash_pay" "$settle"
fi

# ---- one message with ybgwctl send: headers and the platform's reference ----
write_9001 "$E2E_TMP/9001.json"
"$CTL" send "$E2E_TMP/9001.json" >"$E2E_TMP/send.out" 2>&1
rc=$?
cat "$E2E_TMP/send.out"
check "ybgwctl send of a good 9001 exits 0" [ "$rc" -eq 0 ]
check "ybgwctl send prints X-Ybgw-Route: guangxi" grep -q '^X-Ybgw-Route: guangxi' "$E2E_TMP/send.out"
check "ybgwctl send prints X-Ybgw-Hops" grep -q '^X-Ybgw-Hops: ' "$E2E_TMP/send.out"
write_9001 "$E2E_TMP/9001b.json"
ref=$("$CTL" send --field inf_refmsgid "$E2E_TMP/9001b.json")
if [ "${#ref}" -eq 30 ] && [ "${ref:0:2}" = "45" ]; then
    ok "inf_refmsgid is 30 characters from a platform in province 45 ($ref)"
else
    fail "inf_refmsgid is 30 characters from a platform in province 45 (got '$ref')"
fi
"$CTL" send --field output.signinoutb.sign_no "$E2E_TMP/9001b.json" >/dev/null 2>&1
check "the same msgid twice is refused (exit 1)" [ $? -eq 1 ]

# ---- the gateway counted what it forwarded ----
n=$(metric 'ybgw_requests_total{infno="2207"')
check "ybgw_requests_total counts the 2207s (got $n)" [ "$n" -ge 4 ]
n=$(metric 'ybgw_upstream_duration_seconds_count{upstream="guangxi"')
check "ybgw_upstream_duration_seconds_count{upstream=guangxi} counts the calls (got $n)" \
    [ "$n" -ge 20 ]

e2e_finish
