#!/bin/bash
# inpatient.sh - an inpatient stay (住院) through the real gateway and the
# simulator: admission, fee upload, pre-settlement, a settlement before
# discharge that the platform must refuse, discharge, settlement, the
# settlement list (4101), revoke and sign-out.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports
e2e_start_all

out="$E2E_TMP/visit.txt"
visit "$VISITS/inpatient.json" >"$out" 2>&1
rc=$?
cat "$out"
check "ybgwctl visit inpatient.json exits 0" [ "$rc" -eq 0 ]
check "2304 before discharge failed as expected" \
    grep -q '2304  2304 before discharge fails.*failed as expected' "$out"
check "the listing names the discharge (2402 出院办理)" grep -q '2402  出院办理' "$out"

json="$E2E_TMP/visit.json"
visit "$VISITS/inpatient.json" --json >"$json" 2>"$E2E_TMP/visit.err"
rc=$?
check "a second stay (new msgids, new admission) exits 0" [ "$rc" -eq 0 ]
check_visit_json "$json" 14
check "the 4101 settlement list was accepted" \
    grep -q '"infno":"4101".*"infcode":"0".*"met":true' "$json"
check "the early 2304 was refused by the platform, not by the gateway" \
    grep -q '"infno":"2304".*"infcode":"-1".*"met":true' "$json"

settle=$(grep '"infno":"2304"' "$json" | grep '"infcode":"0"' | head -n 1)
amount() { printf '%s' "$settle" | sed -n "s/.*\"$1\":\"\([0-9.]*\)\".*/\1/p"; }
medfee=$(amount medfee_sumamt)
fund=$(amount fund_pay_sumamt)
acct=$(amount acct_pay)
cash=$(amount psn_cash_pay)
check "2304 settled medfee_sumamt 710.50 (got '$medfee')" [ "$medfee" = "710.50" ]
if [ -n "$fund" ] && [ -n "$acct" ] && [ -n "$cash" ]; then
    sum=$(( $(cents "$fund") + $(cents "$acct") + $(cents "$cash") ))
    check "fund $fund + account $acct + cash $cash = 710.50 exactly" [ "$sum" -eq 71050 ]
else
    fail "2304 answered fund_pay_sumamt, acct_pay and psn_cash_pay" "$settle"
fi

e2e_finish
