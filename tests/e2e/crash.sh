#!/bin/bash
# tests/e2e/crash.sh - a SIGKILL of ybgw in the middle of settlements, then
# a restart: the journal shows each settlement as answered or unknown, never
# missing, and the unknown ones end by reversal, never by a second call.
#
# One simulator (faults on, its state in a file) and one gateway whose
# guangxi upstream waits 10 s, so a 2207 held 4 s by the simulator is in
# flight, not timed out. Checked against the journal (sqlite3 -readonly),
# the gateway's log and metrics, and the simulator's own record (GET
# /sim/processed, its fault counters and its access log):
#
#   before      two visits settle normally (answered rows);
#   the crash   six more send their 2207s at once, each with a known msgid;
#               the simulator holds them (it has settled them); the gateway
#               gets SIGKILL while all six are in flight;
#   restart 1   same configuration and journal: every msgid sent has exactly
#               one row, answered (the two) or unknown (the six), none left
#               received or forwarded; the log and an audit event 'recover'
#               say six were recovered; verify is intact; a repeat of an
#               unknown 2207 is refused as unknown and never reaches the
#               simulator; a repeat of an answered one gets its answer;
#   restart 2   resolve_after 1s: the resolver reverses the six with 2601
#               (rows resolved `reversed`, the simulator shows each
#               settlement revoked by the gateway's 2601), and a repeat now
#               says it was reversed;
#   idle kill   kill -9 with nothing in flight, restart 3: nothing is
#               recovered, no row changed, verify intact, a 1101 answered.
#
# Stops everything it started (lib.sh's trap).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
FAULT_TIMEOUT=10s
# shellcheck source=faultlib.sh
. "$(dirname "$0")/faultlib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
e2e_init
e2e_ports
fault_start_sim
conf="$E2E_TMP/ybgw.conf"
fault_gateway_conf "$conf"
# the first restart must not resolve anything before the repeat is checked
sed -i -e 's|^\(\s*resolve_after\s\+\)[^;]*;|\1600s;|' \
    -e 's|^\(\s*resolve_interval\s\+\)[^;]*;|\11s;|' "$conf"
check "the test configuration resolves after 600s, looking every 1s" \
    grep -q '^\s*resolve_after 600s;' "$conf"
e2e_start_gateway "$conf"
JOURNAL="$E2E_TMP/journal.db"
N_EARLY=2
N_FLIGHT=6
N=$((N_EARLY + N_FLIGHT))

sql() { sqlite3 -readonly "$JOURNAL" "$1" 2>&1; }
step_of() { grep "\"infno\":\"$2\"" "$1" | head -n 1; }
field_of() { sed -n "s/.*\"$2\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p" <<<"$1" | head -n 1; }
# sim_calls MSGID: how many requests with that msgid reached the simulator
sim_calls() { grep -c "msgid=$1 " "$E2E_TMP/sim.log"; }

# restart_gateway LOGNAME: keep the last run's log as LOGNAME, start again
# from the same configuration (and so the same journal).
restart_gateway() {
    mv "$E2E_TMP/ybgw.log" "$E2E_TMP/$1"
    e2e_start_gateway "$conf"
}

# kill9_gateway: SIGKILL and reap it.
kill9_gateway() {
    kill -KILL "$GW_PID"
    wait "$GW_PID" 2>/dev/null
    e2e_forget_pid "$GW_PID"
}

# ---- prepare N visits up to their pre-settlement (one after the other:
# ybgwctl visit makes its msgids from the clock, and two visits at once
# could meet) ----
base=$(stamp)
prepared=0
for i in $(seq 0 $((N - 1))); do
    visit "$VISITS/settle_prepare.json" --json --set "chrg_bchno=CB$base$i" \
        >"$E2E_TMP/prep$i.json" 2>"$E2E_TMP/prep$i.err" && prepared=$((prepared + 1))
    f="$E2E_TMP/prep$i.json"
    PSN[i]=$(saved "$f" psn_no)
    MDTRT[i]=$(saved "$f" mdtrt_id)
    INSUTYPE[i]=$(saved "$f" insutype)
    INSUPLC[i]=$(saved "$f" insuplc_admdvs)
    SIGN[i]=$(saved "$f" sign_no)
    CHRG[i]="CB$base$i"
done
if [ "$prepared" -ne "$N" ]; then
    fail "$N visits are prepared up to their 2206 ($prepared)" "$(cat "$E2E_TMP"/prep*.err)"
    e2e_finish
fi
ok "$N visits are prepared up to their 2206"

# settle I MSGID OUT: visit I's 2207 with that msgid
settle() {
    visit "$VISITS/settle_one.json" --json --keep-going --set "setl_msgid=$2" \
        --set "psn_no=${PSN[$1]}" --set "mdtrt_id=${MDTRT[$1]}" --set "insutype=${INSUTYPE[$1]}" \
        --set "insuplc_admdvs=${INSUPLC[$1]}" --set "sign_no=${SIGN[$1]}" \
        --set "chrg_bchno=${CHRG[$1]}" >"$3" 2>"$3.err"
}

for i in $(seq 0 $((N - 1))); do
    next_msgid
    MSG[i]=$MSGID
done

# ---- before the crash: two settle normally ----
for i in $(seq 0 $((N_EARLY - 1))); do
    settle "$i" "${MSG[i]}" "$E2E_TMP/early$i.json"
    SETL[i]=$(saved "$E2E_TMP/early$i.json" setl_id)
    check "2207 #$i (msgid ${MSG[i]}) is settled before the fault (${SETL[i]})" \
        test -n "${SETL[i]}"
done

# ---- the crash: six in flight, then SIGKILL ----
arm "mode=slow&ms=4000&count=0&infno=2207"
for i in $(seq "$N_EARLY" $((N - 1))); do
    settle "$i" "${MSG[i]}" "$E2E_TMP/flight$i.json" &
    cpids[i]=$!
done
held=0
for _ in $(seq 1 100); do
    held=$(fired slow)
    [ "${held:-0}" -ge "$N_FLIGHT" ] && break
    sleep 0.05
done
check "the simulator holds all $N_FLIGHT 2207s (slow fired $held)" test "$held" = "$N_FLIGHT"
for _ in $(seq 1 40); do
    flying=$(sql "SELECT count(*) FROM journal WHERE infno='2207' AND status='forwarded'")
    [ "$flying" = "$N_FLIGHT" ] && break
    sleep 0.05
done
check "before the kill, $N_FLIGHT journal rows are forwarded (got $flying)" \
    test "$flying" = "$N_FLIGHT"
kill9_gateway
answered_anyway=0
for i in $(seq "$N_EARLY" $((N - 1))); do
    wait "${cpids[i]}"
    [ -n "$(saved "$E2E_TMP/flight$i.json" setl_id)" ] && answered_anyway=$((answered_anyway + 1))
done
check "no HIS got an answer to its in-flight 2207 ($answered_anyway did)" \
    test "$answered_anyway" = 0
settled=0
for i in $(seq "$N_EARLY" $((N - 1))); do
    p=$(sim_processed "${MSG[i]}")
    has "$p" '"settlement":{' && has "$p" '"revoked":false' && settled=$((settled + 1))
done
check "the simulator settled the $N_FLIGHT in flight (processed on arrival; $settled)" \
    test "$settled" = "$N_FLIGHT"

# ---- restart 1: answered or unknown, never missing ----
restart_gateway ybgw-killed.log
rows_ok=0
for i in $(seq 0 $((N - 1))); do
    n=$(sql "SELECT count(*) FROM journal WHERE msgid='${MSG[i]}'")
    want=unknown
    [ "$i" -lt "$N_EARLY" ] && want=answered
    st=$(sql "SELECT status FROM journal WHERE msgid='${MSG[i]}'")
    if [ "$n" = 1 ] && [ "$st" = "$want" ]; then
        rows_ok=$((rows_ok + 1))
    else
        fail "msgid ${MSG[i]} has one journal row, $want (got $n row(s): $st)"
    fi
done
check "every one of the $N msgids sent has exactly one row, answered or unknown ($rows_ok)" \
    test "$rows_ok" = "$N"
check "the $N_EARLY settled before the crash are answered with infcode 0" \
    test "$(sql "SELECT count(*) FROM journal WHERE msgid IN ('${MSG[0]}','${MSG[1]}') \
        AND status='answered' AND infcode=0")" = "$N_EARLY"
open=$(sql "SELECT count(*) FROM journal WHERE status IN ('received','forwarded')")
check "no row is left received or forwarded (got $open)" test "$open" = 0
check "the log says $N_FLIGHT transactions left in flight are now unknown" \
    grep -q "journal: $N_FLIGHT transactions left in flight by the last run are now unknown" \
    "$E2E_TMP/ybgw.log"
recover=$(sql "SELECT detail FROM journal_event WHERE kind='audit' AND what='recover' \
    ORDER BY seq DESC LIMIT 1")
check "an audit event 'recover' counts $N_FLIGHT ($recover)" \
    grep -qE "(^|[^0-9])$N_FLIGHT\$" <<<"$recover"
check "each recovered row has its event 'unknown' (recovered at start)" \
    test "$(sql "SELECT count(*) FROM journal_event e JOIN journal j ON j.id = e.txn_id \
        WHERE e.what='unknown' AND e.detail='recovered at start' AND j.infno='2207'")" = "$N_FLIGHT"
"$CTL" journal verify --db "$JOURNAL" >"$E2E_TMP/verify1.out" 2>&1
rc=$?
check "ybgwctl journal verify finds the journal intact after the crash (exit $rc)" [ "$rc" -eq 0 ]

# a repeat of an unknown one: refused, never sent
i=$N_EARLY
settle "$i" "${MSG[i]}" "$E2E_TMP/repeat-unknown.json"
e=$(field_of "$(step_of "$E2E_TMP/repeat-unknown.json" 2207)" err_msg)
check "a repeat of unknown msgid ${MSG[i]} is refused as unknown, to be reversed" \
    has "$e" "outcome is unknown; it is not sent again: the gateway reverses it with 2601"
check "it did not reach the simulator: slow fired still $N_FLIGHT (got $(fired slow))" \
    test "$(fired slow)" = "$N_FLIGHT"
check "the simulator saw msgid ${MSG[i]} once ($(sim_calls "${MSG[i]}"))" \
    test "$(sim_calls "${MSG[i]}")" = 1
check "the journal still has one row for it" \
    test "$(sql "SELECT count(*) FROM journal WHERE msgid='${MSG[i]}'")" = 1

# a repeat of an answered one: its stored answer
settle 0 "${MSG[0]}" "$E2E_TMP/repeat-answered.json"
s=$(saved "$E2E_TMP/repeat-answered.json" setl_id)
check "a repeat of answered msgid ${MSG[0]} gets its stored settlement (${SETL[0]}, got $s)" \
    test -n "$s" -a "$s" = "${SETL[0]}"
check "the simulator saw msgid ${MSG[0]} once ($(sim_calls "${MSG[0]}"))" \
    test "$(sim_calls "${MSG[0]}")" = 1

# ---- restart 2: the resolver reverses the six ----
disarm
kill -TERM "$GW_PID"
e2e_wait_exit "$GW_PID"
check "the gateway stops on SIGTERM (exit ${E2E_EXIT:-still running})" test "$E2E_EXIT" = 0
sed -i -e 's|^\(\s*resolve_after\s\+\)[^;]*;|\11s;|' "$conf"
restart_gateway ybgw-restart1.log
check "a restart after SIGTERM recovers nothing" \
    test "$(sql "SELECT detail FROM journal_event WHERE kind='audit' AND what='start' \
        ORDER BY seq DESC LIMIT 1" | grep -c '; 0 recovered as unknown;')" = 1
reversed=0
for _ in $(seq 1 80); do
    reversed=$(sql "SELECT count(*) FROM journal WHERE infno='2207' AND resolution='reversed'")
    [ "$reversed" = "$N_FLIGHT" ] && break
    sleep 0.25
done
check "the resolver reversed all $N_FLIGHT unknown rows (got $reversed)" \
    test "$reversed" = "$N_FLIGHT"
revoked=0
for i in $(seq "$N_EARLY" $((N - 1))); do
    rev=$(sql "SELECT resolved_by FROM journal WHERE msgid='${MSG[i]}'" |
        sed -n 's/.*2601 msgid \([0-9A-Z]*\).*/\1/p')
    p=$(sim_processed "${MSG[i]}")
    r=$(sql "SELECT status || ' ' || infcode FROM journal WHERE msgid='$rev'")
    if [ -n "$rev" ] && has "$p" '"revoked":true' && has "$p" "\"revoke_msgid\":\"$rev\"" &&
        [ "$r" = "answered 0" ]; then
        revoked=$((revoked + 1))
    else
        fail "msgid ${MSG[i]} is revoked at the simulator by its journaled 2601 ($rev)" "$p"
    fi
done
check "the simulator shows all $N_FLIGHT settlements revoked by the gateway's 2601s" \
    test "$revoked" = "$N_FLIGHT"
for i in $(seq 0 $((N_EARLY - 1))); do
    check "settlement ${SETL[i]} made before the crash still stands" \
        has "$(sim_processed "${MSG[i]}")" '"revoked":false'
done
settle "$N_EARLY" "${MSG[N_EARLY]}" "$E2E_TMP/repeat-reversed.json"
e=$(field_of "$(step_of "$E2E_TMP/repeat-reversed.json" 2207)" err_msg)
check "a repeat now says it was reversed and needs a new msgid" has "$e" "was reversed with 2601"
check "ybgw_reversals_total{result=accepted} is $N_FLIGHT" \
    test "$(metric 'ybgw_reversals_total{result="accepted"}')" = "$N_FLIGHT"

# ---- idle kill: nothing to recover ----
before=$(sql "SELECT group_concat(id || ':' || status || ':' || resolution, ' ') FROM \
    (SELECT * FROM journal ORDER BY id)")
kill9_gateway
restart_gateway ybgw-restart2.log
after=$(sql "SELECT group_concat(id || ':' || status || ':' || resolution, ' ') FROM \
    (SELECT * FROM journal ORDER BY id)")
check "after a kill -9 while idle, no row changed" test -n "$before" -a "$before" = "$after"
check "the restart log recovers nothing" \
    sh -c "! grep -q 'left in flight by the last run' '$E2E_TMP/ybgw.log'"
check "its audit event 'start' says 0 recovered" \
    test "$(sql "SELECT detail FROM journal_event WHERE kind='audit' AND what='start' \
        ORDER BY seq DESC LIMIT 1" | grep -c '; 0 recovered as unknown;')" = 1
SIGN_NO=${SIGN[0]}
gateway_alive "a kill -9 while idle"
"$CTL" journal verify --db "$JOURNAL" >"$E2E_TMP/verify2.out" 2>&1
rc=$?
cat "$E2E_TMP/verify2.out"
check "ybgwctl journal verify finds the journal intact at the end (exit $rc)" [ "$rc" -eq 0 ]

e2e_finish
