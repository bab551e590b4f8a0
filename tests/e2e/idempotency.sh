#!/bin/bash
# tests/e2e/idempotency.sh - a settlement is never made twice and never lost.
#
# One simulator (faults on) and one gateway whose guangxi upstream times out
# after 2 s, with the resolver looking every second at unknown settlements
# received more than 4 s ago. Checked against the journal (SQLite, read with the
# sqlite3 tool) and the simulator's own record (GET /sim/processed):
#
#   repeat      a 2207 sent again with its msgid and body gets the stored
#               answer (the same setl_id), the simulator settled it once, and
#               the journal has one row; the same msgid with another body is
#               refused.
#   in flight   two HIS sending the same 2207 at once (the platform slow):
#               one upstream call, both get the same settlement.
#   unknown     a 2207 whose answer never came (the platform slower than the
#               timeout, but it settled): the HIS is told to query or
#               reverse; a repeat is refused as unknown, not sent; the
#               resolver reverses it with 2601 (the simulator shows the
#               settlement revoked by the gateway's msgid) and the journal
#               row is resolved `reversed`; a repeat then says so.
#   chain       `ybgwctl journal verify` finds the journal intact.
#   one owner   a second gateway on the same journal refuses to start.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=faultlib.sh
. "$(dirname "$0")/faultlib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
e2e_init
e2e_ports
fault_start_sim
conf="$E2E_TMP/ybgw.conf"
fault_gateway_conf "$conf"
sed -i -e 's|^\(\s*resolve_after\s\+\)[^;]*;|\14s;|' \
    -e 's|^\(\s*resolve_interval\s\+\)[^;]*;|\11s;|' "$conf"
check "the test configuration resolves after 4s" grep -q '^\s*resolve_after 4s;' "$conf"
e2e_start_gateway "$conf"
JOURNAL="$E2E_TMP/journal.db"

# one process per journal: a second gateway on the same file stops at once
(cd "$E2E_TMP" && timeout 10 "$YBGW" -c "$conf") >"$E2E_TMP/second.log" 2>&1
rc=$?
check "a second ybgw on the same journal exits (status $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
check "and says the journal is in use by the first one's pid $GW_PID" \
    grep -q "journal $JOURNAL is in use by another ybgw (pid $GW_PID)" "$E2E_TMP/second.log"

sql() { sqlite3 -readonly "$JOURNAL" "$1" 2>&1; }

# step_of FILE INFNO: the first line of a visit's --json listing for INFNO
step_of() { grep "\"infno\":\"$2\"" "$1" | head -n 1; }
field_of() { sed -n "s/.*\"$2\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$1" | head -n 1; }

# ---- repeat: the stored answer, once settled ----
out="$E2E_TMP/repeat.json"
visit "$VISITS/settle_repeat.json" --json >"$out" 2>"$E2E_TMP/repeat.err"
rc=$?
check "the visit settles once, repeats and is refused as expected (exit $rc)" [ "$rc" -eq 0 ]
check_visit_json "$out" 9
first=$(step_of "$out" 2207)
msgid=$(field_of "$first" msgid)
setl_id=$(saved "$out" setl_id)
check "the 2207 was settled ($setl_id, msgid $msgid)" test -n "$setl_id" -a ${#msgid} -eq 30
check "the journal has one row for msgid $msgid" \
    test "$(sql "SELECT count(*) FROM journal WHERE msgid='$msgid'")" = 1
check "that row is answered with infcode 0" \
    test "$(sql "SELECT status || ' ' || infcode FROM journal WHERE msgid='$msgid'")" = "answered 0"
p=$(sim_processed "$msgid")
check "the simulator settled it ($setl_id) and it stands" \
    has "$p" "\"setl_id\":\"$setl_id\""
check "the simulator's settlement is not revoked" has "$p" '"revoked":false'
conflict=$(grep '"title":"2207, same msgid, another body: refused"' "$out")
check "the other body is refused: err_msg names the msgid and says it was used" \
    has "$(field_of "$conflict" err_msg)" "msgid $msgid was already used on"

# prepare VISIT_OUT: a visit up to its pre-settlement, with its own
# chrg_bchno; sets PSN_NO MDTRT_ID INSUTYPE INSUPLC SIGN_NO CHRG.
prepare() {
    CHRG="CB$(stamp)$RANDOM"
    visit "$VISITS/settle_prepare.json" --json --set "chrg_bchno=$CHRG" >"$1" 2>"$1.err"
    check "a visit is prepared up to its pre-settlement (2206)" [ $? -eq 0 ]
    PSN_NO=$(saved "$1" psn_no)
    MDTRT_ID=$(saved "$1" mdtrt_id)
    INSUTYPE=$(saved "$1" insutype)
    INSUPLC=$(saved "$1" insuplc_admdvs)
    SIGN_NO=$(saved "$1" sign_no)
}

# settle MSGID OUT: the prepared visit's 2207 with that msgid
settle() {
    visit "$VISITS/settle_one.json" --json --keep-going --set "setl_msgid=$1" \
        --set "psn_no=$PSN_NO" --set "mdtrt_id=$MDTRT_ID" --set "insutype=$INSUTYPE" \
        --set "insuplc_admdvs=$INSUPLC" \
        --set "sign_no=$SIGN_NO" --set "chrg_bchno=$CHRG" >"$2" 2>"$2.err"
}

# ---- in flight: a repeat waits for the first ----
prepare "$E2E_TMP/prep2.json"
next_msgid
m2=$MSGID
arm "mode=slow&ms=1200&infno=2207"
settle "$m2" "$E2E_TMP/a.json" &
pid_a=$!
sleep 0.3
settle "$m2" "$E2E_TMP/b.json"
wait "$pid_a"
sa=$(saved "$E2E_TMP/a.json" setl_id)
sb=$(saved "$E2E_TMP/b.json" setl_id)
check "the first of two simultaneous 2207s is settled ($sa)" test -n "$sa"
check "the second gets the same settlement ($sb)" test "$sa" = "$sb"
check "the slow fault fired once: one upstream call" test "$(fired slow)" = 1
check "the journal has one row for msgid $m2" \
    test "$(sql "SELECT count(*) FROM journal WHERE msgid='$m2'")" = 1
disarm

# ---- unknown: never sent again, reversed by the gateway ----
prepare "$E2E_TMP/prep3.json"
next_msgid
m3=$MSGID
arm "mode=slow&ms=3500&infno=2207"
settle "$m3" "$E2E_TMP/c.json"
e=$(field_of "$(step_of "$E2E_TMP/c.json" 2207)" err_msg)
check "a 2207 past the timeout: the HIS is told to query or reverse it" \
    has "$e" "query its outcome (or reverse it with 2601)"
check "the journal row of msgid $m3 is unknown" \
    test "$(sql "SELECT status FROM journal WHERE msgid='$m3'")" = unknown
settle "$m3" "$E2E_TMP/d.json"
e=$(field_of "$(step_of "$E2E_TMP/d.json" 2207)" err_msg)
check "its repeat is refused as unknown, and says the gateway reverses it" \
    has "$e" "outcome is unknown; it is not sent again: the gateway reverses it with 2601"
# the platform settled it when the message arrived (slow processes first)
sleep 2
check "the simulator did settle msgid $m3" has "$(sim_processed "$m3")" '"settlement":{'
resolved=""
for _ in $(seq 1 60); do
    resolved=$(sql "SELECT resolution FROM journal WHERE msgid='$m3'")
    [ "$resolved" = reversed ] && break
    sleep 0.25
done
check "the resolver reversed it: the row is resolved 'reversed' (got '$resolved')" \
    test "$resolved" = reversed
rev=$(sql "SELECT msgid FROM journal WHERE infno='2601' ORDER BY id DESC LIMIT 1")
check "the 2601 is journaled and answered (msgid $rev)" \
    test "$(sql "SELECT status || ' ' || infcode FROM journal WHERE msgid='$rev'")" = "answered 0"
p=$(sim_processed "$m3")
check "the simulator shows the settlement revoked" has "$p" '"revoked":true'
check "by the gateway's 2601 msgid $rev" has "$p" "\"revoke_msgid\":\"$rev\""
check "the resolution names the 2601" \
    has "$(sql "SELECT resolved_by FROM journal WHERE msgid='$m3'")" "2601 msgid $rev"
settle "$m3" "$E2E_TMP/e.json"
e=$(field_of "$(step_of "$E2E_TMP/e.json" 2207)" err_msg)
check "a repeat now says it was reversed and needs a new msgid" \
    has "$e" "was reversed with 2601"
check "ybgw_reversals_total{result=accepted} is 1" \
    test "$(metric 'ybgw_reversals_total{result="accepted"}')" = 1

# ---- the chain ----
"$CTL" journal verify --db "$JOURNAL" >"$E2E_TMP/verify.out" 2>&1
rc=$?
cat "$E2E_TMP/verify.out"
check "ybgwctl journal verify finds the journal intact (exit $rc)" [ "$rc" -eq 0 ]

e2e_finish
