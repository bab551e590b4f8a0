#!/bin/bash
# catalog_cli.sh - `ybgwctl catalog` (import, lookup, export, diff, sync) on a
# store of its own ($E2E_TMP/cli.db, named with --db).
#
#   1. a good file imports (counts, lookup, --national, --json);
#   2. export -> diff on it: no change (exit 0); CSV quoting survives;
#   3. a changed file: diff lists the change (exit 1), import closes the old
#      row, lookup shows both;
#   4. a malformed file (bad date, unknown list_type, a national code the
#      drug plugin refuses, a duplicate local code, an unclosed quote) is
#      refused whole: exit 1, the reject file names lines 3 to 7, the store is
#      unchanged; --partial imports its good row;
#   5. sync through the real gateway and simulator: the unsynced rows become
#      synced with the 3301's msgid and the simulator lists one in 1312; a
#      name of 90 Chinese characters (fine for the gateway's 200-character
#      rule, too long for the simulator's 255-byte field) ends rejected with
#      the simulator's reason, exit 1;
#   6. with the gateway stopped, sync exits 2 and the row stays unsynced.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports
e2e_gateway_conf "$E2E_TMP/ybgw.conf"

HOSP=H45019900055
DB=$E2E_TMP/cli.db
CONF=$E2E_TMP/ybgw.conf
OUT=$E2E_TMP/out.txt

# ctl ARGS...: ybgwctl catalog ARGS with this test's configuration and store,
# from the temporary directory; output in $OUT, exit status in RC.
ctl() {
    (cd "$E2E_TMP" && "$CTL" catalog "$@" -c "$CONF" --db "$DB") >"$OUT" 2>&1
    RC=$?
}

# has TEXT...: every TEXT appears in $OUT.
has() {
    local t
    for t in "$@"; do
        grep -qF -- "$t" "$OUT" || return 1
    done
}

# expect DESCRIPTION STATUS TEXT...: the last ctl exited STATUS and printed
# every TEXT.
expect() {
    local what=$1 want=$2
    shift 2
    if [ "$RC" -eq "$want" ] && has "$@"; then
        ok "$what"
    else
        fail "$what (exit $RC, want $want)" "$(head -c 1500 "$OUT")"
    fi
}

# ==== 1. a good file ====
cat >"$E2E_TMP/good.csv" <<'CSV'
fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate,spec,memo
F0002,灸法,201,004400000010100,2024-01-01,2099-12-31,,"本院项目, ""灸"""
Y0002,示例西药二,101,XA01ABD075A002010100483,20240101,2099/12/31,10mg*10,
H0002,示例耗材二,301,C01010100100000000000099999,2024-01-01,2099-12-31,,
F0003,导尿二,201,001216000010100,2024-01-01,2099-12-31,,
CSV
ctl import "$E2E_TMP/good.csv" --fixmedins "$HOSP" --by tester
expect "import of a good file: counts" 0 \
    "4 rows: 4 added, 0 changed, 0 unchanged, 0 rejected; committed"

ctl lookup Y0002 --fixmedins "$HOSP"
expect "lookup shows the current mapping, normalised dates, who and the sync state" 0 \
    "current" "Y0002 -> XA01ABD075A002010100483" "2024-01-01..2099-12-31" "by tester" \
    "import $E2E_TMP/good.csv" "sync: unsynced"
ctl lookup F0002
expect "lookup without --fixmedins finds the institution" 0 "$HOSP F0002" "004400000010100"
ctl lookup 004400000010100 --national
expect "lookup --national lists the local code" 0 "F0002 -> 004400000010100"
ctl lookup NOSUCH --fixmedins "$HOSP"
expect "lookup of an unknown code exits 1" 1 "no local code NOSUCH"
ctl lookup F0003 --fixmedins "$HOSP" --json
expect "lookup --json" 0 '"fixmedins_hilist_id":"F0003"' '"current":true' '"sync":"unsynced"'

# ==== 2. export, then diff on the export ====
ctl export -o "$E2E_TMP/export1.csv"
check "export writes the four mappings and a header" \
    [ "$(wc -l <"$E2E_TMP/export1.csv")" -eq 5 ]
check "export quotes a field with a comma and quotes" \
    grep -qF '"本院项目, ""灸"""' "$E2E_TMP/export1.csv"
check "export has the 3301 header, fixmedins_code first" \
    grep -q '^fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate,' "$E2E_TMP/export1.csv"
ctl diff "$E2E_TMP/export1.csv"
expect "diff on the export: no change, exit 0" 0 "4 rows: 0 would be added, 0 would be changed, 4 unchanged, 0 rejected"
ctl export --format tsv -o "$E2E_TMP/export1.tsv"
ctl diff "$E2E_TMP/export1.tsv"
expect "diff on the TSV export: no change" 0 "4 unchanged"

# ==== 3. a changed file ====
cat >"$E2E_TMP/changed.csv" <<'CSV'
fixmedins_code,fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate
H45019900055,F0002,灸法(新),201,004400000010100,2024-01-01,2030-12-31
H45019900055,F0004,导尿三,201,001216000010100,2024-01-01,2099-12-31
CSV
ctl diff "$E2E_TMP/changed.csv"
expect "diff lists the changed fields and the added row, exit 1" 1 \
    "~ F0002: fixmedins_hilist_name 灸法 -> 灸法(新)" "~ F0002: enddate 2099-12-31 -> 2030-12-31" \
    "+ F0004 -> 001216000010100 (导尿三)" "1 would be added, 1 would be changed"
ctl export -o "$E2E_TMP/export2.csv"
check "diff changed nothing" cmp -s "$E2E_TMP/export1.csv" "$E2E_TMP/export2.csv"
ctl import "$E2E_TMP/changed.csv" --by tester2 --json
expect "import of the changed file (--json)" 0 '"added":1' '"changed":1' '"committed":true'
ctl lookup F0002 --fixmedins "$HOSP"
expect "lookup shows the new row and the closed one" 0 \
    "current  F0002 -> 004400000010100  灸法(新)" "2024-01-01..2030-12-31" "by tester2" \
    "closed   F0002 -> 004400000010100  灸法" "2024-01-01..2099-12-31" ": changed"
first=$(grep -n 'current  F0002' "$OUT" | cut -d: -f1)
second=$(grep -n 'closed   F0002' "$OUT" | cut -d: -f1)
check "newest first" [ "${first:-9}" -lt "${second:-0}" ]
ctl export --history -o "$E2E_TMP/history.csv"
check "export --history has every row (6), the closed one with its reason" \
    [ "$(wc -l <"$E2E_TMP/history.csv")" -eq 7 ]
check "export --history: the closed row says changed, by tester2" \
    grep -q '^H45019900055,F0002,灸法,.*,tester2,changed,' "$E2E_TMP/history.csv"

# ==== 4. a malformed file ====
ctl export -o "$E2E_TMP/before.csv"
printf '%s\n' \
    'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate' \
    'B0001,好行,201,001216000010100,2024-01-01,2099-12-31' \
    'B0002,坏日期,201,001216000010100,2024-02-30,2099-12-31' \
    'B0003,坏类别,999,001216000010100,2024-01-01,2099-12-31' \
    'B0004,坏编码,101,XA01ABD075A00201010048,2024-01-01,2099-12-31' \
    'B0001,重复,201,001216000010100,2024-01-01,2099-12-31' \
    'B0005,"未闭合,201,001216000010100,2024-01-01,2099-12-31' >"$E2E_TMP/bad.csv"
ctl import "$E2E_TMP/bad.csv" --fixmedins "$HOSP" --rejects "$E2E_TMP/bad.rejects"
expect "a malformed file is refused whole, exit 1" 1 \
    "6 rows: " "5 rejected (reject file $E2E_TMP/bad.rejects); nothing imported"
check "the reject file names lines 3 to 7" \
    [ "$(grep -v "^#" "$E2E_TMP/bad.rejects" 2>/dev/null | cut -f1 | tr '\n' ' ')" = "3 4 5 6 7 " ]
reason() { awk -F'\t' -v l="$1" '$1 == l { print $2 }' "$E2E_TMP/bad.rejects"; }
check "line 3: the impossible date" grep -q "begndate" <<<"$(reason 3)"
check "line 4: the unknown list_type" grep -q "list_type" <<<"$(reason 4)"
check "line 5: the drug plugin refuses the national code ($(reason 5))" \
    grep -q 'med_list_codg: "XA01ABD075A00201010048" is not a valid drug code' <<<"$(reason 5)"
check "line 6: the duplicate names line 2" grep -q "line 2" <<<"$(reason 6)"
check "line 7: the unclosed quote" grep -qi "quote" <<<"$(reason 7)"
ctl export -o "$E2E_TMP/after.csv"
check "the store is unchanged" cmp -s "$E2E_TMP/before.csv" "$E2E_TMP/after.csv"
ctl diff "$E2E_TMP/bad.csv" --fixmedins "$HOSP"
expect "diff lists the rejected rows with their reasons" 1 "! line 5: med_list_codg" \
    "+ B0001 -> 001216000010100 (好行)"
ctl import "$E2E_TMP/bad.csv" --fixmedins "$HOSP" --rejects "$E2E_TMP/bad2.rejects" --partial
expect "--partial imports the good row (exit 1: rows were rejected)" 1 \
    "1 added, 0 changed, 0 unchanged, 5 rejected" "; committed"
ctl lookup B0001 --fixmedins "$HOSP"
expect "the good row of the partial import is there" 0 "B0001 -> 001216000010100  好行"

# ==== 5. sync through the gateway ====
long=$(printf '长%.0s' $(seq 1 90))
printf 'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\nL0001,%s,201,001216000010100,2024-01-01,2099-12-31\n' \
    "$long" >"$E2E_TMP/long.csv"
ctl import "$E2E_TMP/long.csv" --fixmedins "$HOSP" --quiet
check "a 90-character name imports (the gateway allows 200)" [ "$RC" -eq 0 ]

e2e_start_all
ctl sync --url "$GW_URL" --dry-run --batch 3
expect "sync --dry-run prints the 3301 messages, sends nothing" 0 '"infno":"3301"' \
    '"catalogcompin":[' "7 rows would be sent in 3 messages"
ctl sync --url "$GW_URL" --batch 3 --opter 0001 --opter-name 收费员甲
expect "sync: six rows synced, the long name rejected with the simulator's reason, exit 1" 1 \
    "7 rows sent in" "6 synced, 1 rejected" "rejected $HOSP L0001: " "fixmedins_hilist_name"
ctl lookup F0004 --fixmedins "$HOSP"
expect "lookup shows synced with the 3301's msgid" 0 "sync: synced, msgid $HOSP"
ctl lookup L0001 --fixmedins "$HOSP"
expect "lookup shows the refused row rejected, with the reason" 0 "sync: rejected" "超长"

# the simulator has them: 1312 for 004400000010100 names F0002
write_9001 "$E2E_TMP/9001.json"
post "$GW_URL" "$E2E_TMP/9001.json"
SIGN_NO=$(sed -n 's/.*"sign_no":"\([^"]*\)".*/\1/p' "$BODY")
next_msgid
cat >"$E2E_TMP/1312.json" <<JSON
{"infno":"1312","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"$HOSP","fixmedins_name":"演示医院","sign_no":"$SIGN_NO","input":{"data":{"hilist_code":"004400000010100","page_num":1,"page_size":10}}}
JSON
post "$GW_URL" "$E2E_TMP/1312.json"
check "1312 through the gateway: the simulator maps 004400000010100 to F0002" \
    grep -q '"fixmedins_hilist_id":"F0002"' "$BODY"

ctl sync --url "$GW_URL"
expect "a second sync has nothing to send" 0 "nothing to send"

# ==== 6. the gateway stopped ====
printf 'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\nN0001,新项目,201,001216000010100,2024-01-01,2099-12-31\n' \
    >"$E2E_TMP/new.csv"
ctl import "$E2E_TMP/new.csv" --fixmedins "$HOSP" --quiet
kill -TERM "$GW_PID"
e2e_wait_exit "$GW_PID"
ctl sync --url "$GW_URL"
expect "sync with the gateway down exits 2" 2 "left unsynced"
ctl lookup N0001 --fixmedins "$HOSP"
expect "the row stays unsynced" 0 "sync: unsynced"

e2e_finish
