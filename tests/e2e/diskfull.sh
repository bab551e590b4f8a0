#!/bin/bash
# tests/e2e/diskfull.sh - a full disk for the journal makes ybgw refuse new
# transactions with a clear error, never forward them unjournaled.
#
# One simulator (its state in a file) and one gateway. Two ways to fill the
# journal's disk, each followed by the same checks:
#
#   (a) max_size    the journal capped a few pages above what it holds, so
#                   it fills after some traffic (the journal treats the cap
#                   as a full disk); room comes back by a restart with the
#                   cap raised;
#   (b) tmpfs       the journal on a tiny tmpfs, filled with a file until
#                   full; room comes back by removing the file, with the
#                   gateway running. Needs root and mount(2); skipped with a
#                   note when the mount fails.
#
# Once full: a 1101 and a 2207 get infcode -1 with an err_msg saying the
# journal cannot be written (full) and the message was not sent; the
# simulator never saw them (GET /sim/processed: processed false); /metrics
# shows ybgw_journal_failing 1 and the failures; the gateway logs the outage
# once and keeps running. After room comes back, new messages are journaled
# and forwarded again (the refused 2207 settles with its own msgid), every
# message answered before the disk filled still has its row, and
# `ybgwctl journal verify` finds the chain intact.
#
# Stops everything it started and unmounts what it mounted (trap).

# shellcheck disable=SC2317  # diskfull_cleanup runs from the trap
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=faultlib.sh
. "$(dirname "$0")/faultlib.sh"
e2e_need "$YBGW" "$SIM" "$CTL"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 is not installed"
e2e_init
MNT=""
GW_TMPFS_PID=""
# unmount the tmpfs once the gateway that writes there is gone, then the
# usual clean-up (lib.sh), with the exit status the test had
diskfull_cleanup() {
    local status=$? i
    if [ -n "$GW_TMPFS_PID" ] && kill -0 "$GW_TMPFS_PID" 2>/dev/null; then
        kill -TERM "$GW_TMPFS_PID" 2>/dev/null
        for i in $(seq 1 50); do
            kill -0 "$GW_TMPFS_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$GW_TMPFS_PID" 2>/dev/null
        wait "$GW_TMPFS_PID" 2>/dev/null
    fi
    if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT"
    fi
    (exit "$status")
    e2e_cleanup
}
trap diskfull_cleanup EXIT
e2e_ports
fault_start_sim
conf="$E2E_TMP/ybgw.conf"
fault_gateway_conf "$conf"
e2e_start_gateway "$conf"
JOURNAL="$E2E_TMP/journal.db"

jsql() { sqlite3 -readonly "$JOURNAL" "$1" 2>&1; }
row_count() { jsql "SELECT count(*) FROM journal WHERE msgid='$1'"; }
not_at_sim() { has "$(sim_processed "$1")" '"processed":false'; }

# prepare NAME: a visit up to its pre-settlement, listed in
# $E2E_TMP/prep-NAME.json; its chrg_bchno in CHRG[NAME]
declare -A CHRG
prepare() {
    CHRG[$1]="CB$(stamp)$1"
    visit "$VISITS/settle_prepare.json" --json --set "chrg_bchno=${CHRG[$1]}" \
        >"$E2E_TMP/prep-$1.json" 2>"$E2E_TMP/prep-$1.err"
    check "visit $1 is prepared up to its pre-settlement (2206)" [ $? -eq 0 ]
}

# is_journal_full: the last answer is the gateway's refusal for a journal
# that cannot be written
is_journal_full() {
    local e
    e=$(err_msg)
    [ "$(infcode)" = -1 ] && has "$e" "the journal cannot be written" && has "$e" "full" &&
        has "$e" "not sent"
}

# fill_until_refused WHAT: send 1101s until one is refused because the
# journal is full (at most 400); ACCEPTED lists the msgids answered before
# (infcode 0), REFUSED_MSGID the refused one.
fill_until_refused() {
    ACCEPTED=()
    REFUSED_MSGID=""
    for _ in $(seq 1 400); do
        send "$(query_1101)"
        if [ "$(infcode)" = 0 ]; then
            ACCEPTED+=("$SENT_MSGID")
        elif is_journal_full; then
            REFUSED_MSGID=$SENT_MSGID
            REFUSED_ERR=$(err_msg)
            REFUSED_OUTCOME=$(header X-Ybgw-Outcome)
            break
        else
            fail "$1: a 1101 is either answered or refused for a full journal" "$(cat "$BODY")"
            e2e_finish
        fi
    done
    if [ -z "$REFUSED_MSGID" ]; then
        fail "$1: the journal fills within 400 1101s (${#ACCEPTED[@]} answered)"
        e2e_finish
    fi
    ok "$1: the journal filled after ${#ACCEPTED[@]} more 1101s were answered"
}

# refusals WHAT VISIT: the checks while the journal is full; sets
# REFUSED_2207 (the refused settlement's text) and its msgid R2207_MSGID.
# The failing state must hold (metric, one log line) until room is back:
# under max_size the journal counts as writable again only once a share of
# the cap is free, not when a small record happens to fit.
refusals() {
    local what=$1 fails_before n
    printf 'refused: %s\n' "$REFUSED_ERR"
    check "$what: the refused 1101 says the journal cannot be written (full), not sent" \
        has "$REFUSED_ERR" "the journal cannot be written"
    check "$what: X-Ybgw-Outcome says gateway_error (got $REFUSED_OUTCOME)" \
        test "$REFUSED_OUTCOME" = gateway_error
    check "$what: the simulator never saw the refused 1101" not_at_sim "$REFUSED_MSGID"
    check "$what: the refused 1101 has no journal row" test "$(row_count "$REFUSED_MSGID")" = 0
    REFUSED_2207=$(settlement_2207 "$E2E_TMP/prep-$2.json" "${CHRG[$2]}")
    send "$REFUSED_2207"
    R2207_MSGID=$SENT_MSGID
    check "$what: a 2207 is refused: infcode -1, the journal cannot be written, not sent" \
        is_journal_full
    printf '2207 refused: %s\n' "$(err_msg)"
    check "$what: the simulator never saw the 2207 (msgid $R2207_MSGID)" not_at_sim "$R2207_MSGID"
    check "$what: /metrics ybgw_journal_failing is 1" \
        test "$(metric "ybgw_journal_failing ")" = 1
    fails_before=$(metric "ybgw_journal_failures_total ")
    check "$what: /metrics ybgw_journal_failures_total counts the failures ($fails_before)" \
        test "$fails_before" -ge 1
    send "$(query_1101)"
    check "$what: another 1101 is refused" is_journal_full
    check "$what: ... and never reached the simulator" not_at_sim "$SENT_MSGID"
    n=$(metric "ybgw_journal_failures_total ")
    check "$what: ... ybgw_journal_failures_total still counts ($n)" test "$n" -ge "$fails_before"
    check "$what: ... ybgw_requests_total counts the 3 refusals as gateway_error" \
        test "$(metric 'ybgw_requests_total{infno="1101",outcome="gateway_error"}')" -ge 2 -a \
        "$(metric 'ybgw_requests_total{infno="2207",outcome="gateway_error"}')" -ge 1
    check "$what: the gateway is still running" kill -0 "$GW_PID"
    check "$what: /livez answers 200" e2e_wait_url "$ADMIN_URL/livez" 2 200
    check "$what: the gateway logged the outage once ($(grep -c "cannot write .*full" \
        "$E2E_TMP/ybgw.log") times)" test "$(grep -c "cannot write .*full" "$E2E_TMP/ybgw.log")" = 1
}

# recovered WHAT VISIT: room is back: a 1101 and the refused 2207 go
# through and are journaled; the rows from before are there
recovered() {
    local what=$1 m missing=0 lost=0 s
    check "$what: /metrics ybgw_journal_failing is 0" test "$(metric "ybgw_journal_failing ")" = 0
    send "$(query_1101)"
    check "$what: a new 1101 is answered (infcode $(infcode))" test "$(infcode)" = 0
    check "$what: ... journaled, answered" \
        test "$(jsql "SELECT status FROM journal WHERE msgid='$SENT_MSGID'")" = answered
    send "$REFUSED_2207"
    s=$(grep -o '"setl_id":"[^"]*"' "$BODY" | head -1)
    check "$what: the refused 2207 is sent again with its msgid and settles ($s)" \
        test "$(infcode)" = 0 -a -n "$s"
    check "$what: ... the simulator settled msgid $R2207_MSGID" \
        has "$(sim_processed "$R2207_MSGID")" '"settlement":{'
    check "$what: ... its one journal row is answered" \
        test "$(jsql "SELECT group_concat(status) FROM journal WHERE msgid='$R2207_MSGID'")" \
        = answered
    for m in "${ACCEPTED[@]}"; do
        case "$(jsql "SELECT status FROM journal WHERE msgid='$m'")" in
        answered) ;;
        "") missing=$((missing + 1)) ;;
        *) lost=$((lost + 1)) ;;
        esac
    done
    check "$what: each 1101 answered before the disk filled has its row ($missing missing)" \
        test "$missing" = 0
    check "$what: ... and each row is answered ($lost are not)" test "$lost" = 0
    "$CTL" journal verify --db "$JOURNAL" >"$E2E_TMP/verify.out" 2>&1
    local rc=$?
    cat "$E2E_TMP/verify.out"
    check "$what: ybgwctl journal verify finds the journal intact (exit $rc)" [ "$rc" -eq 0 ]
}

# stop_gateway: SIGTERM and wait.
stop_gateway() {
    kill -TERM "$GW_PID"
    e2e_wait_exit "$GW_PID"
    check "the gateway stops on SIGTERM (exit ${E2E_EXIT:-still running})" test "$E2E_EXIT" = 0
}

# ---- before: two visits prepared, the journal uncapped ----
prepare a
prepare b
SIGN_NO=$(saved "$E2E_TMP/prep-a.json" sign_no)
stop_gateway

# ---- (a) max_size: a cap a few pages above what the journal holds ----
rows_sql="SELECT group_concat(id || ':' || msgid || ':' || status || ':' || infcode, ' ') FROM \
    (SELECT * FROM journal ORDER BY id)"
rows_before=$(jsql "$rows_sql")
pages=$(jsql "PRAGMA page_count")
page=$(jsql "PRAGMA page_size")
cap=$(((pages + 6) * page / 1024))
[ "$cap" -lt 64 ] && cap=64
sed -i -e "s|^\(\s*backlog\s\+[^;]*;\)|\1\n    max_size ${cap}k;|" "$conf"
check "(a) the journal is capped at ${cap}k (it holds $pages pages of $page bytes)" \
    grep -q "^    max_size ${cap}k;" "$conf"
mv "$E2E_TMP/ybgw.log" "$E2E_TMP/ybgw-prepare.log"
e2e_start_gateway "$conf"
fill_until_refused "(a) max_size"
check "(a) max_size: some 1101s were answered before it filled" test "${#ACCEPTED[@]}" -ge 1
refusals "(a) max_size" a
stop_gateway
sed -i -e "s|^    max_size ${cap}k;|    max_size 0;|" "$conf"
mv "$E2E_TMP/ybgw.log" "$E2E_TMP/ybgw-full.log"
e2e_start_gateway "$conf"
recovered "(a) restarted with max_size 0" a
rows_after=$(jsql "$rows_sql")
check "(a) the rows written before the cap are unchanged (${rows_before:0:60}...)" \
    test -n "$rows_before" -a "${rows_after:0:${#rows_before}}" = "$rows_before"

# ---- (b) a real full disk: the journal on a tiny tmpfs ----
mkdir -p "$E2E_TMP/disk"
if ! mount -t tmpfs -o size=512k,mode=0700 tmpfs "$E2E_TMP/disk" 2>"$E2E_TMP/mount.err"; then
    printf 'NOTE (b) skipped: cannot mount a tmpfs here (%s)\n' \
        "$(head -c 200 "$E2E_TMP/mount.err")"
    e2e_finish
fi
MNT="$E2E_TMP/disk"
stop_gateway
JOURNAL="$MNT/journal.db"
sed -i -e "s|^\(\s*path\s\+\)[^;]*journal\.db;|\1$JOURNAL;|" "$conf"
check "(b) the journal moves to the tmpfs" grep -q "^\s*path $JOURNAL;" "$conf"
mv "$E2E_TMP/ybgw.log" "$E2E_TMP/ybgw-restarted.log"
e2e_start_gateway "$conf"
GW_TMPFS_PID=$GW_PID
send "$(query_1101)"
check "(b) a 1101 is answered and journaled on the tmpfs" \
    test "$(infcode)" = 0 -a "$(row_count "$SENT_MSGID")" = 1
FIRST=$SENT_MSGID
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
free=$(df -k --output=avail "$MNT" | tail -1 | tr -d ' ')
check "(b) the filler leaves the tmpfs full (${free}k free)" test "$free" = 0
fill_until_refused "(b) tmpfs"
ACCEPTED+=("$FIRST")
refusals "(b) tmpfs" b
rm -f "$MNT/filler"
back=""
for _ in $(seq 1 150); do
    back=$(metric "ybgw_journal_failing ")
    [ "$back" = 0 ] && break
    sleep 0.1
done
check "(b) once the filler is gone, the journal is written again (failing $back)" test "$back" = 0
check "(b) the gateway logged that it writes again" \
    grep -q "the journal is written again; begins are accepted" "$E2E_TMP/ybgw.log"
recovered "(b) room freed, no restart" b

e2e_finish
