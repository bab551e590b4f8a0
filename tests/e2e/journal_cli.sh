#!/bin/bash
# journal_cli.sh - `ybgwctl journal` on a journal written without a gateway:
# tests/unit/jseed writes rows and events through gateway/jchain.h (and
# seals full texts with seal.h), as the gateway's writer would.
#
#   1. verify finds the seeded journal intact;
#   2. list: newest first; --status, --unresolved, --infno, --msgid, a day
#      by --since/--until, Unix ms, --limit, --json (valid, the right count);
#      bad arguments exit 2 naming the option;
#   3. show by id and by msgid: masked texts, pretty-printed; no such row
#      exits 1; --reveal opens the sealed texts with the configuration's key
#      and leaves an audit event 'reveal'; another key is refused (exit 2,
#      naming the key file) and reveals nothing;
#   4. export: CSV read back by the sqlite3 shell (a value with a comma and
#      quotes round-trips), JSON valid with the right count, --out mode
#      0600; never a sealed text;
#   5. resolve: refusals (not unknown, already resolved, no such row, bad
#      --as, no --note) and the success; the chain stays intact;
#   6. tampering with a row or an event behind the chain (sqlite3) makes
#      verify exit 1 naming the row or the seq; undoing it heals;
#   7. catalog import leaves an audit event 'mapping' (who, file, counts);
#      a journal that is missing is a warning, not a failed import.
#
# Needs the sqlite3 shell (apt-get install sqlite3): it is the independent
# reader of the CSV and JSON and the tamperer.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

JSEED="$top_builddir/tests/unit/jseed"
e2e_need "$CTL" "$JSEED"
command -v sqlite3 >/dev/null 2>&1 || skip "the sqlite3 shell is not installed"
e2e_init
e2e_ports
e2e_gateway_conf "$E2E_TMP/ybgw.conf"

# local times, the same whatever the machine's zone (no tzdata needed)
export TZ=CST-8
CONF=$E2E_TMP/ybgw.conf
DB=$E2E_TMP/journal.db # the journal path e2e_gateway_conf gives
KEY=$E2E_TMP/journal.key
OUT=$E2E_TMP/out.txt
HOSP=H45019900055

# jctl ARGS...: ybgwctl journal ARGS with this test's configuration, from
# the temporary directory; output in $OUT, exit status in RC.
jctl() {
    (cd "$E2E_TMP" && "$CTL" journal "$@" -c "$CONF") >"$OUT" 2>&1
    RC=$?
}

has() {
    local t
    for t in "$@"; do
        grep -qF -- "$t" "$OUT" || return 1
    done
}

# expect DESCRIPTION STATUS TEXT...: the last jctl exited STATUS and
# printed every TEXT.
expect() {
    local what=$1 want=$2
    shift 2
    if [ "$RC" -eq "$want" ] && has "$@"; then
        ok "$what"
    else
        fail "$what (exit $RC, want $want)" "$(head -c 1500 "$OUT")"
    fi
}

# lacks DESCRIPTION TEXT: the last output does not hold TEXT.
lacks() {
    if grep -qF -- "$2" "$OUT"; then fail "$1" "$(head -c 1500 "$OUT")"; else ok "$1"; fi
}

# ids_listed: the row ids of a text listing, in order, on one line.
ids_listed() {
    awk 'NR > 1 && $1 ~ /^[0-9]+$/ { printf "%s%s", sep, $1; sep = " " }' "$OUT"
}

ms() { echo $(($(date -d "$1" +%s) * 1000)); }

seed() {
    "$JSEED" "$DB" "$@" 2>>"$E2E_TMP/jseed.log" || fail "jseed $*" "$(tail -3 "$E2E_TMP/jseed.log")"
}

# ==== the journal ====
FULL_CERT=450103199001011234
MASK_CERT='450103********1234'
REQ1="{\"infno\":\"2207\",\"input\":{\"data\":{\"certno\":\"$MASK_CERT\",\"psn_name\":\"张**\",\"medfee_sumamt\":\"125.50\"}}}"
FULL1="{\"infno\":\"2207\",\"input\":{\"data\":{\"certno\":\"$FULL_CERT\",\"psn_name\":\"张三丰\",\"medfee_sumamt\":\"125.50\"}}}"
RESP1='{"infcode":0,"output":{"setlinfo":{"setl_id":"S1","fund_pay_sumamt":100.00}}}'
ERR3='feedetail[1].med_list_codg: "XA01, ""B""" is not a valid code'
M1=${HOSP}202611230900000001
M2=${HOSP}202611231030000002
M3=${HOSP}202611221500000003
M4=${HOSP}202611240800000004

seed init
seed audit start "$HOSP" "ybgw started"
R1=$(seed row --key "$KEY" msgid="$M1" infno=2207 fixmedins_code="$HOSP" route=guangxi \
    received_at="$(ms '2026-11-23 09:00:00')" request="$REQ1" sealed_request="$FULL1")
seed set "$R1" status=forwarded forwarded_at="$(ms '2026-11-23 09:00:01')" attempts=1
seed set "$R1" status=answered answered_at="$(ms '2026-11-23 09:00:02')" infcode=0 \
    http_status=200 upstream_ms=10.25 total_ms=12.5 response="$RESP1"
R2=$(seed row msgid="$M2" infno=2207 fixmedins_code="$HOSP" route=guangxi \
    received_at="$(ms '2026-11-23 10:30:00')" status=unknown)
R3=$(seed row msgid="$M3" infno=2201 fixmedins_code="$HOSP" route=guangxi \
    received_at="$(ms '2026-11-22 15:00:00')" status=failed error="$ERR3")
R4=$(seed row msgid="$M4" infno=2301 fixmedins_code="$HOSP" route=relay \
    received_at="$(ms '2026-11-24 08:00:00')" status=unknown)
seed set "$R4" resolution=settled resolved_by="bob (uid 1001)" resolved_at="$(ms '2026-11-24 09:00:00')"
check "jseed wrote four rows with ids" [ -n "$R1" ] && [ -n "$R2" ] && [ -n "$R3" ] && [ -n "$R4" ]

# ==== 1. verify ====
jctl verify
expect "verify: the seeded journal is intact (8 events, 4 rows)" 0 "journal intact: 8 events, 4 rows"

# ==== 2. list ====
jctl list
expect "list shows every row with its columns" 0 "$M1" "$M2" "$M3" "$M4" "answered" "guangxi" "12.5"
check "list: newest first" [ "$(ids_listed)" = "$R4 $R2 $R1 $R3" ]
jctl list --status unknown
check "list --status unknown: the two unknown rows" [ "$(ids_listed)" = "$R4 $R2" ]
jctl list --unresolved
check "list --unresolved: only the unknown row nobody resolved" [ "$(ids_listed)" = "$R2" ]
jctl list --infno 2201
check "list --infno" [ "$(ids_listed)" = "$R3" ]
jctl list --msgid "$M1"
check "list --msgid" [ "$(ids_listed)" = "$R1" ]
jctl list --since 2026-11-23 --until 2026-11-23
check "list --since/--until one day (the --until date includes its day)" [ "$(ids_listed)" = "$R2 $R1" ]
jctl list --since 2026-11-23T10:00:00
check "list --since a local time" [ "$(ids_listed)" = "$R4 $R2" ]
jctl list --until "$(ms '2026-11-23 09:00:00')"
check "list --until Unix ms (exclusive)" [ "$(ids_listed)" = "$R3" ]
jctl list --limit 1
expect "list --limit 1 says there are more" 0 "more rows match than the 1 shown"
check "list --limit 1 shows one row" [ "$(ids_listed)" = "$R4" ]
jctl list --json
check "list --json is valid JSON with four rows" \
    [ "$(sqlite3 :memory: "SELECT json_valid(readfile('$OUT')) || json_array_length(readfile('$OUT'))")" = 14 ]
jctl list --status settled
expect "list --status with a bad word: exit 2, names the option" 2 '--status "settled" is not a status'
jctl list --since 2026-13-01
expect "list --since with a bad date: exit 2, says what a time looks like" 2 \
    '--since "2026-13-01" is not a time' "2026-11-23T10:00:00"
jctl list --limit x
expect "list --limit x: exit 2" 2 "--limit takes"

# ==== 3. show ====
jctl show "$R1"
expect "show by id: every column, the masked request pretty-printed" 0 "row $R1" "msgid" "$M1" \
    "received_at      2026-11-23 09:00:00.000" "total_ms" "12.500" "request (masked):" \
    "\"certno\": \"$MASK_CERT\"" '"medfee_sumamt": "125.50"' '"fund_pay_sumamt": 100.00' \
    "(sealed, " "--reveal opens it"
lacks "show without --reveal never prints the full certno" "$FULL_CERT"
jctl show "$M3"
expect "show by msgid" 0 "row $R3" "$ERR3"
jctl show NOSUCHMSGID
expect "show of an unknown id or msgid: exit 1" 1 'no journal row with id or msgid "NOSUCHMSGID"'
jctl show "$R1" --reveal --operator carol
expect "show --reveal opens the sealed request with the configuration's key" 0 \
    "request (revealed):" "\"certno\": \"$FULL_CERT\"" "\"psn_name\": \"张三丰\"" \
    "response (revealed):" "(not sealed: this journal keeps only the masked text of this row)"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$E2E_TMP/other.key")
jctl show "$R1" --reveal --key "$E2E_TMP/other.key"
expect "show --reveal with another key: exit 2, names the key file" 2 \
    "does not open with the key in $E2E_TMP/other.key"
lacks "a refused reveal prints no full certno" "$FULL_CERT"
lacks "a refused reveal prints nothing of the row" "request (masked)"
chmod 0644 "$E2E_TMP/other.key"
jctl show "$R1" --reveal --key "$E2E_TMP/other.key"
expect "show --reveal with a key readable by others: exit 2, names the file" 2 "other.key"
jctl show "$R1" --key "$KEY"
expect "--key without --reveal: usage, exit 2" 2 "--key and --operator go with --reveal"
jctl audit
expect "audit lists the reveal with the operator and the row" 0 "reveal" "carol (uid " \
    "row $R1"

# ==== 4. export ====
jctl export --since 2026-11-22 --until 2026-11-24 --out "$E2E_TMP/export.csv"
expect "export CSV to a file" 0 "4 rows written to $E2E_TMP/export.csv"
check "export --out is readable by its owner only" [ "$(stat -c %a "$E2E_TMP/export.csv")" = 600 ]
sqlite3 "$E2E_TMP/csv.db" ".import --csv $E2E_TMP/export.csv t" 2>"$OUT"
check "the CSV reads back: four rows" [ "$(sqlite3 "$E2E_TMP/csv.db" "SELECT count(*) FROM t")" = 4 ]
check "the CSV reads back: the error with a comma and quotes round-trips" \
    [ "$(sqlite3 "$E2E_TMP/csv.db" "SELECT error FROM t WHERE id = '$R3'")" = "$ERR3" ]
check "the CSV reads back: the masked request round-trips" \
    [ "$(sqlite3 "$E2E_TMP/csv.db" "SELECT request FROM t WHERE id = '$R1'")" = "$REQ1" ]
check "the CSV has received_local in local time" \
    [ "$(sqlite3 "$E2E_TMP/csv.db" "SELECT received_local FROM t WHERE id = '$R1'")" = "2026-11-23 09:00:00.000" ]
if grep -q -e sealed -e "$FULL_CERT" "$E2E_TMP/export.csv"; then
    fail "the CSV has no sealed column and no full certno"
else
    ok "the CSV has no sealed column and no full certno"
fi
check "the CSV's lines end in CRLF" [ "$(head -1 "$E2E_TMP/export.csv" | od -An -c | tr -d ' \n' | tail -c 4)" = '\r\n' ]
jctl export --since 2026-11-23 --until 2026-11-23 --format json
check "export JSON of one day: valid, two rows" \
    [ "$(sqlite3 :memory: "SELECT json_valid(readfile('$OUT')) || json_array_length(readfile('$OUT'))")" = 12 ]
check "export JSON: oldest first, the masked request as it was stored" \
    [ "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$[0].request')")" = "$REQ1" ]
jctl export --since 2026-11-20 --until 2026-11-21 --format json
check "export JSON of an empty period: []" \
    [ "$(sqlite3 :memory: "SELECT json_valid(readfile('$OUT')) || json_array_length(readfile('$OUT'))")" = 10 ]
jctl export --since 2026-11-22
expect "export without --until: exit 2" 2 "--since and --until are required"
jctl export --since 2026-11-22 --until 2026-11-24 --format xml
expect "export --format xml: exit 2" 2 '--format "xml": say csv or json'

# ==== 5. resolve ====
jctl resolve "$R1" --as reversed --note "test"
expect "resolve an answered row: refused, exit 1" 1 "row $R1 is answered, not unknown"
jctl resolve "$R4" --as reversed --note "test"
expect "resolve a resolved row: refused, exit 1" 1 "row $R4 was already resolved as settled by bob"
jctl resolve 999 --as reversed --note "test"
expect "resolve a row that does not exist: exit 1" 1 "no journal row 999"
jctl resolve "$R2" --as maybe --note "test"
expect "resolve --as maybe: exit 2" 2 '--as "maybe" is not known'
jctl resolve "$R2" --as reversed
expect "resolve without --note: exit 2" 2 "--note takes 1 to 1000 bytes"
jctl resolve "$R2" --as reversed --note "2601 sent by phone, platform confirmed" --operator alice
expect "resolve the unknown row" 0 "row $R2 (msgid $M2) resolved as reversed by alice (uid "
jctl list --unresolved
expect "nothing unresolved afterwards" 0 "(no journal rows match)"
jctl show "$R2"
expect "show: resolution, who, when and the note" 0 "resolution       reversed" \
    "resolved_by      alice (uid " "resolution_note  2601 sent by phone, platform confirmed"
jctl resolve "$R2" --as settled --note "again"
expect "resolve twice: refused" 1 "already resolved as reversed by alice"
jctl verify
expect "verify after resolve and reveal: intact (11 events)" 0 "journal intact: 11 events, 4 rows"
jctl audit --json
check "audit --json: valid JSON with start, reveal and resolve" \
    [ "$(sqlite3 :memory: "SELECT group_concat(json_extract(value, '\$.what'), ' ') FROM json_each(readfile('$OUT'))")" = "start reveal resolve" ]

# ==== 6. tampering ====
sqlite3 "$DB" "UPDATE journal SET total_ms = 1.5 WHERE id = $R1"
jctl verify
expect "verify after a row was altered: exit 1, names the row" 1 "journal altered" "row $R1"
sqlite3 "$DB" "UPDATE journal SET total_ms = 12.5 WHERE id = $R1"
jctl verify
expect "undoing the change heals the row" 0 "journal intact"
sqlite3 "$DB" "UPDATE journal_event SET detail = 'nothing happened' WHERE seq = 1"
jctl verify
expect "verify after an event was altered: exit 1, names the seq" 1 "journal altered" "seq 1"
sqlite3 "$DB" "UPDATE journal_event SET detail = 'ybgw started' WHERE seq = 1"
sqlite3 "$DB" "DELETE FROM journal_event WHERE seq = 5"
jctl verify
expect "verify after an event was deleted: exit 1" 1 "journal altered"
jctl verify --db "$E2E_TMP/nosuch.db"
expect "verify of a missing journal: exit 2, names the file" 2 "$E2E_TMP/nosuch.db: no such journal"

# ==== 7. the audit record of a catalogue change ====
rm -f "$DB" "$DB-wal" "$DB-shm"
seed init
cat >"$E2E_TMP/mappings.csv" <<'CSV'
fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate,spec,memo
F0902,灸法,201,004400000010100,2024-01-01,2099-12-31,,
CSV
(cd "$E2E_TMP" && "$CTL" catalog import "$E2E_TMP/mappings.csv" --fixmedins "$HOSP" --by tester \
    -c "$CONF") >"$OUT" 2>&1
RC=$?
expect "catalog import into the configuration's store" 0 "1 rows: 1 added"
lacks "the import gives no journal warning" "not in the journal's audit trail"
jctl audit
expect "the journal records the import: who, file, counts" 0 "mapping" "tester (uid " \
    "catalog import $E2E_TMP/mappings.csv" "sha256 " "1 rows, 1 added, 0 changed"
jctl verify
expect "verify after the mapping event: intact" 0 "journal intact: 1 events, 0 rows"
sed -e "s|^\(\s*path\s\+\)$E2E_TMP/journal\.db;|\1$E2E_TMP/missing/journal.db;|" "$CONF" \
    >"$E2E_TMP/nojournal.conf"
sed -i -e 's|^F0902,灸法|F0903,灸法二|' "$E2E_TMP/mappings.csv"
(cd "$E2E_TMP" && "$CTL" catalog import "$E2E_TMP/mappings.csv" --fixmedins "$HOSP" \
    -c "$E2E_TMP/nojournal.conf") >"$OUT" 2>&1
RC=$?
expect "an import with no journal to write to: a warning naming it, the import done" 0 \
    "1 rows: 1 added" "warning: the change is not in the journal's audit trail" \
    "$E2E_TMP/missing/journal.db"

e2e_finish
