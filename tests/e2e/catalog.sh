#!/bin/bash
# catalog.sh - catalog mapping (目录对照) end to end, through the real gateway
# and simulator (conf/ybgw.conf and conf/sim.conf, where the simulator checks
# every fee line against the mappings filed with it: check_mapping on):
#
#   1. `ybgwctl catalog import` puts two new mappings into the gateway's store
#      (not filed yet); `ybgwctl catalog sync` files them with 3301 through
#      the gateway, which records them as synced and maps with them at once;
#   2. a 2204 whose lines carry ONLY local codes reaches the simulator with
#      the national codes filled in: the simulator accepts it (it refuses a
#      line whose national code is missing or disagrees with its mappings)
#      and names each line's item from its own catalogue, which it finds by
#      the national code; the answer lines carry both codes back;
#   3. an unmapped local code, and a local/national pair that disagrees with
#      the mapping, are refused by the gateway and never reach the simulator;
#   4. 3302 through the gateway revokes a mapping; a 2204 with that code is
#      then refused, naming the revoke;
#   5. a mapping filed by another system and imported with --synced is used
#      after SIGHUP;
#   6. a malformed import file leaves the store exactly as it was;
#   7. with the platform down, sync stops without marking anything.
#
# The local codes L2001-L2003 and L404 are SYNTHETIC; the national codes are
# the spec's real 导尿 (001216000010100) and 西药 (XA01ABD075A002010100483).

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports
e2e_start_all

HOSP=H45019900055
SERVICE=001216000010100
DRUG=XA01ABD075A002010100483
STORE="$E2E_TMP/catalog.db"
UPSTREAM_COUNT='ybgw_upstream_duration_seconds_count{upstream="guangxi"'

# ---- a registered outpatient visit to bill ----
visit "$VISITS/codes_2204.json" --json >"$E2E_TMP/otp.out" 2>"$E2E_TMP/otp.err"
check "the visit up to its registration (9001, 1101, 2201) passes" [ $? -eq 0 ]
SIGN_NO=$(saved "$E2E_TMP/otp.out" sign_no)
PSN_NO=$(saved "$E2E_TMP/otp.out" psn_no)
INSUPLC=$(saved "$E2E_TMP/otp.out" insuplc_admdvs)
MDTRT_ID=$(saved "$E2E_TMP/otp.out" mdtrt_id)
if [ -z "$SIGN_NO" ] || [ -z "$PSN_NO" ] || [ -z "$MDTRT_ID" ]; then
    fail "1101 and 2201 answered psn_no and mdtrt_id" "$(cat "$E2E_TMP/otp.out" "$E2E_TMP/otp.err")"
    e2e_finish
fi

# write_2204 FILE LINE...: a fee upload; each LINE is LOCAL[:NATIONAL] (no
# national code: the line carries only the hospital's own code)
SEQ=0
write_2204() {
    local file=$1 now sn lines="" l local national sep="" amount
    shift
    now=$(date '+%Y-%m-%d %H:%M:%S')
    next_msgid "$HOSP"
    for l in "$@"; do
        SEQ=$((SEQ + 1))
        sn="C${MSGID:12:14}$(printf '%03d' "$SEQ")"
        local=${l%%:*}
        national=""
        [ "$local" != "$l" ] && national=",\"med_list_codg\":\"${l#*:}\""
        amount=30.00
        lines="$lines$sep{\"feedetl_sn\":\"$sn\",\"mdtrt_id\":\"$MDTRT_ID\",\"psn_no\":\"$PSN_NO\",\"chrg_bchno\":\"CB${MSGID:12:14}\",\"rx_circ_flag\":\"0\",\"fee_ocur_time\":\"$now\"$national,\"medins_list_codg\":\"$local\",\"det_item_fee_sumamt\":\"$amount\",\"cnt\":\"1\",\"pric\":\"$amount\",\"bilg_dept_codg\":\"A03\",\"bilg_dept_name\":\"内科\",\"bilg_dr_codg\":\"D421003007628\",\"bilg_dr_name\":\"医生甲\"}"
        sep=","
    done
    cat >"$file" <<JSON
{"infno":"2204","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"$INSUPLC","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$now","fixmedins_code":"$HOSP","fixmedins_name":"演示医院","sign_no":"$SIGN_NO","input":{"feedetail":[$lines]}}
JSON
}

# send_2204 LINE...: post it; sets STATUS BODY INFCODE ERR WARN, and UP
# (upstream calls before) and UP2 (after)
send_2204() {
    UP=$(metric "$UPSTREAM_COUNT")
    local file="$E2E_TMP/fee.$SEQ.json"
    write_2204 "$file" "$@"
    post "$GW_URL" "$file"
    INFCODE=$(json_num "$BODY" infcode)
    ERR=$(json_str "$BODY" err_msg)
    WARN=$(json_str "$BODY" warn_msg)
    UP2=$(metric "$UPSTREAM_COUNT")
}

# refused NAME ERR_MSG LINE...: the gateway refused with exactly ERR_MSG and
# the simulator saw nothing
refused() {
    local name=$1 want=$2
    shift 2
    send_2204 "$@"
    if [ "$INFCODE" = -1 ] && [ "$ERR" = "$want" ] && [ "$UP2" = "$UP" ]; then
        ok "$name: refused at the gateway, the simulator saw nothing: $ERR"
    else
        fail "$name: refused at the gateway with: $want" \
            "infcode '$INFCODE', err_msg: $ERR, upstream calls $UP -> $UP2"
    fi
}

# lookup_has CODE WORD...: `ybgwctl catalog lookup CODE` prints every WORD
lookup_has() {
    local code=$1 out w
    shift
    out=$("$CTL" catalog lookup "$code" --fixmedins "$HOSP" --db "$STORE" 2>&1)
    for w in "$@"; do
        case "$out" in *"$w"*) ;; *) printf '%s\n' "$out"; return 1 ;; esac
    done
}

# ==== 1. import, then sync with 3301 through the gateway ====
cat >"$E2E_TMP/new.csv" <<'CSV'
fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate,prcunt
L2001,导尿(本院),201,001216000010100,2024-01-01,2099-12-31,次
L2002,示例西药(本院包装),101,XA01ABD075A002010100483,2024-01-01,2099-12-31,盒
CSV
"$CTL" catalog import "$E2E_TMP/new.csv" --fixmedins "$HOSP" --db "$STORE" --quiet \
    >"$E2E_TMP/import.out" 2>&1
check "import of two new mappings succeeds" [ $? -eq 0 ]
check "the imported mapping is in the store, not filed yet" lookup_has L2001 "$SERVICE" unsynced

refused "before they are filed, the running gateway does not know L2001" \
    "feedetail[0].medins_list_codg: \"L2001\" this local code has no mapping (目录对照) to a national code at $HOSP; map it with 3301 or \`ybgwctl catalog import\` [catalog]" \
    L2001

up=$(metric "$UPSTREAM_COUNT")
"$CTL" catalog sync --url "$GW_URL" --fixmedins "$HOSP" --db "$STORE" --quiet \
    >"$E2E_TMP/sync.out" 2>&1
rc=$?
check "ybgwctl catalog sync files them through the gateway (exit $rc)" [ "$rc" -eq 0 ]
check "sync reached the simulator through the gateway" [ "$(metric "$UPSTREAM_COUNT")" -gt "$up" ]
check "after sync the store says synced, with the 3301's msgid" lookup_has L2001 synced "$HOSP"
check "after sync the store says synced for L2002 too" lookup_has L2002 synced

# ==== 2. a 2204 with local codes only ====
send_2204 L2001 L2002 Y0001
if [ "$INFCODE" = 0 ] && [ -z "$ERR" ] && [ "$UP2" -eq $((UP + 1)) ]; then
    ok "a 2204 with local codes only is accepted by the simulator"
else
    fail "a 2204 with local codes only is accepted by the simulator" \
        "infcode '$INFCODE', err_msg: $ERR, upstream calls $UP -> $UP2"
fi
# the simulator names an item from its catalogue, found by the national code
check "the simulator found the 导尿 line by its national code" grep -q '导尿(示例' "$BODY"
check "the simulator found the 西药 lines by their national code" \
    [ "$(grep -o '示例西药(公开示例编码' "$BODY" | wc -l)" -eq 2 ]
check "the answer lines carry the HIS's own codes back" grep -q '"medins_list_codg":"L2002"' "$BODY"
check "... and the national codes they were billed as" \
    grep -q "\"medins_list_codg\":\"L2001\",\"med_list_codg\":\"$SERVICE\"\|\"med_list_codg\":\"$SERVICE\",\"medins_list_codg\":\"L2001\"" "$BODY"

# ==== 3. unmapped and mismatched codes never reach the simulator ====
refused "an unmapped local code" \
    "feedetail[1].medins_list_codg: \"L404\" this local code has no mapping (目录对照) to a national code at $HOSP; map it with 3301 or \`ybgwctl catalog import\` [catalog]" \
    F0001 L404
refused "a pair that disagrees with the mapping" \
    "feedetail[0].med_list_codg: \"$DRUG\" disagrees with the mapping (目录对照) of medins_list_codg \"F0001\", which is $SERVICE [catalog]" \
    "F0001:$DRUG"

# ==== 4. 3302 through the gateway, then the revoked code ====
next_msgid "$HOSP"
REVOKE_MSGID=$MSGID
cat >"$E2E_TMP/3302.json" <<JSON
{"infno":"3302","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"$HOSP","fixmedins_name":"演示医院","sign_no":"$SIGN_NO","input":{"data":{"fixmedins_code":"$HOSP","fixmedins_hilist_id":"L2001","list_type":"201","med_list_codg":"$SERVICE"}}}
JSON
post "$GW_URL" "$E2E_TMP/3302.json"
check "3302 of L2001 is accepted" [ "$(json_num "$BODY" infcode)" = 0 ]
send_2204 L2001
case "$ERR" in
*'"L2001" the mapping (目录对照) of this local code at '"$HOSP to $SERVICE was revoked on "*"by $REVOKE_MSGID"*)
    if [ "$UP2" = "$UP" ]; then ok "a revoked code is refused, naming the 3302: $ERR"
    else fail "a revoked code never reaches the simulator" "upstream calls $UP -> $UP2"; fi ;;
*) fail "a revoked code is refused, naming the 3302" "infcode '$INFCODE', err_msg: $ERR" ;;
esac
# the writer thread records the revoke within moments
for i in $(seq 1 50); do lookup_has L2001 revoked "$REVOKE_MSGID" >/dev/null && break; sleep 0.1; done
check "the store keeps the revoked row, with the 3302's msgid" lookup_has L2001 revoked "$REVOKE_MSGID"

# ==== 5. filed elsewhere, imported as synced, used after SIGHUP ====
next_msgid "$HOSP"
cat >"$E2E_TMP/3301.json" <<JSON
{"infno":"3301","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"$HOSP","fixmedins_name":"演示医院","sign_no":"$SIGN_NO","input":{"catalogcompin":[{"fixmedins_hilist_id":"L2003","fixmedins_hilist_name":"导尿(旧系统)","list_type":"201","med_list_codg":"$SERVICE","begndate":"2024-01-01","enddate":"2099-12-31"}]}}
JSON
post "$SIM_URL" "$E2E_TMP/3301.json"
check "another system files L2003 with the simulator directly" [ "$(json_num "$BODY" infcode)" = 0 ]
printf 'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\nL2003,导尿(旧系统),201,%s,2024-01-01,2099-12-31\n' \
    "$SERVICE" >"$E2E_TMP/filed.csv"
"$CTL" catalog import "$E2E_TMP/filed.csv" --fixmedins "$HOSP" --db "$STORE" --synced --quiet \
    >/dev/null 2>&1
check "import --synced of the mapping filed elsewhere" [ $? -eq 0 ]
reloads=$(metric 'ybgw_reloads_total{result="ok"}')
kill -HUP "$GW_PID"
for i in $(seq 1 50); do
    [ "$(metric 'ybgw_reloads_total{result="ok"}')" -gt "$reloads" ] && break
    sleep 0.1
done
check "SIGHUP reloads the gateway" [ "$(metric 'ybgw_reloads_total{result="ok"}')" -gt "$reloads" ]
send_2204 L2003
check "after the reload L2003 is mapped and accepted (err_msg: $ERR)" [ "$INFCODE" = 0 ]
send_2204 L2001
check "after the reload the revoked L2001 is still refused" [ "$INFCODE" = -1 ]

# ==== 6. a malformed import changes nothing ====
"$CTL" catalog export --fixmedins "$HOSP" --db "$STORE" -o "$E2E_TMP/before.csv" >/dev/null 2>&1
printf 'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\nL3001,好的一行,201,%s,2024-01-01,2099-12-31\nL3002,坏日期,201,%s,2024-02-30,2099-12-31\n"L3003,未闭合的引号,201,%s,2024-01-01,2099-12-31\n' \
    "$SERVICE" "$SERVICE" "$SERVICE" >"$E2E_TMP/bad.csv"
"$CTL" catalog import "$E2E_TMP/bad.csv" --fixmedins "$HOSP" --db "$STORE" \
    --rejects "$E2E_TMP/bad.rejects" --quiet >/dev/null 2>&1
rc=$?
check "a malformed file is refused (exit $rc)" [ "$rc" -eq 1 ]
check "the reject file names line 3 (the impossible date)" grep -q '^3	' "$E2E_TMP/bad.rejects"
check "the reject file names line 4 (the unclosed quote)" grep -q '^4	' "$E2E_TMP/bad.rejects"
"$CTL" catalog export --fixmedins "$HOSP" --db "$STORE" -o "$E2E_TMP/after.csv" >/dev/null 2>&1
check "nothing was half-imported: the store is as before" cmp -s "$E2E_TMP/before.csv" "$E2E_TMP/after.csv"
check "... and the good line L3001 is not in it" sh -c "! grep -q L3001 '$E2E_TMP/after.csv'"

# ==== 7. the platform down: sync stops without a verdict, nothing is marked ====
printf 'fixmedins_hilist_id,fixmedins_hilist_name,list_type,med_list_codg,begndate,enddate\nL4001,导尿(待上传),201,%s,2024-01-01,2099-12-31\n' \
    "$SERVICE" >"$E2E_TMP/late.csv"
"$CTL" catalog import "$E2E_TMP/late.csv" --fixmedins "$HOSP" --db "$STORE" --quiet >/dev/null 2>&1
kill -TERM "$SIM_PID"
e2e_wait_exit "$SIM_PID"
"$CTL" catalog sync --url "$GW_URL" --fixmedins "$HOSP" --db "$STORE" --quiet \
    >"$E2E_TMP/sync2.out" 2>&1
rc=$?
check "with the platform down, sync stops with exit 2 (exit $rc)" [ "$rc" -eq 2 ]
check "... and names the gateway's outcome" grep -q 'X-Ybgw-Outcome: upstream_error' "$E2E_TMP/sync2.out"
check "... and L4001 stays unsynced, not rejected" lookup_has L4001 unsynced

e2e_finish
