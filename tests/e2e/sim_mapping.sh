#!/bin/bash
# sim_mapping.sh - the simulator enforces catalogue mappings (目录对照) the
# way the platform does (issue 4): with `check_mapping on` (conf/sim.conf)
# every 2204/2301 line's local code (medins_list_codg) must be mapped, by
# 3301 or by conf/sim/mappings.tsv, to the line's med_list_codg on the date
# of its fee_ocur_time. Against the simulator alone, on one outpatient visit
# of 测试甲:
#
#   - the demo hospital's mapped codes (F0001 Y0001 H0001, from the mappings
#     file) are accepted;
#   - an unmapped local code in line 3 refuses the whole 2204 with the exact
#     err_msg, and stores nothing: 2206 still sums only the earlier lines, and
#     the same feedetl_sns are accepted once the line is fixed;
#   - a line whose med_list_codg is not its local code's mapping is refused;
#   - a 3301 makes a new local code usable; a 3301 with one bad row (enddate
#     before begndate) is refused and maps none of its rows (1312, 2204);
#   - after 3302 the code is refused again;
#   - a fee date outside the mapping's begndate..enddate is refused, its last
#     day is not, and a 3301 of the same local code replaces the mapping;
#   - 2207 settles exactly the lines that were accepted;
#   - with check_mapping off (the default) an unmapped code is accepted, and
#     `ybgw-sim -t` names file:line of a bad mappings file.
#
# Codes: 001216000010100 (导尿), XA01ABD075A002010100483 (西药) and
# 004400000010100 (灸法) are public example codes; C0102...0001 and
# XN05CMS999A001010199999 are SYNTHETIC (see conf/sim.conf).

. "$(dirname "$0")/lib.sh"

e2e_need "$SIM"
e2e_init
e2e_ports
e2e_start_sim

FIX=H45019900055
PSN=4501990000000001
CERT=450103199001010011
SIGN=""
URL=$SIM_URL

# send INFNO INPUT_JSON: an envelope from the demo hospital with a fresh
# msgid and this test's sign_no, posted to URL; sets BODY, INFCODE, ERR
send() {
    next_msgid
    local file="$E2E_TMP/req.$1.$MSGID.json"
    printf '{"infno":"%s","msgid":"%s","mdtrtarea_admvs":"450199","insuplc_admdvs":"450199",%s' \
        "$1" "$MSGID" '"recer_sys_code":"SIMTEST","infver":"V1.0","opter_type":"1","opter":"001",' >"$file"
    printf '"opter_name":"测试","inf_time":"%s","fixmedins_code":"%s","fixmedins_name":"演示医院",' \
        "$(date '+%Y-%m-%d %H:%M:%S')" "$FIX" >>"$file"
    printf '"sign_no":"%s","input":%s}' "$SIGN" "$2" >>"$file"
    post "$URL" "$file"
    INFCODE=$(json_num "$BODY" infcode)
    ERR=$(json_str "$BODY" err_msg)
}

# accepted NAME INFNO INPUT_JSON
accepted() {
    send "$2" "$3"
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = 0 ]; then
        ok "$1"
    else
        fail "$1" "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR"
    fi
}

# refused NAME INFNO INPUT_JSON ERR_MSG: infcode -1 with exactly ERR_MSG
refused() {
    send "$2" "$3"
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = -1 ] && [ "$ERR" = "$4" ]; then
        ok "$1: $ERR"
    else
        fail "$1: refused with: $4" "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR"
    fi
}

# line SN MEDINS NATIONAL TIME CNT PRIC AMOUNT: one fee line of the visit
line() {
    printf '{"feedetl_sn":"%s","mdtrt_id":"%s","psn_no":"%s","chrg_bchno":"B1","rx_circ_flag":"0",' \
        "$1" "$MDTRT" "$PSN"
    printf '"fee_ocur_time":"%s","med_list_codg":"%s","medins_list_codg":"%s",' "$4" "$3" "$2"
    printf '"det_item_fee_sumamt":"%s","cnt":"%s","pric":"%s","bilg_dept_codg":"A03",' "$7" "$5" "$6"
    printf '"bilg_dept_name":"内科","bilg_dr_codg":"D450199000001","bilg_dr_name":"测试医生","hosp_appr_flag":"1"}'
}

T=2024-03-01\ 09:20:00
F1() { line "$1" F0001 001216000010100 "$T" 1 30.00 30.00; }
Y1() { line "$1" Y0001 XA01ABD075A002010100483 "$T" 2 12.50 25.00; }
H1() { line "$1" H0001 C01020100100000000000000001 "$T" 1 8.50 8.50; }

# map ID NAME LIST_TYPE NATIONAL BEGN END: one catalogcompin row
map() {
    printf '{"fixmedins_hilist_id":"%s","fixmedins_hilist_name":"%s","list_type":"%s",' "$1" "$2" "$3"
    printf '"med_list_codg":"%s","begndate":"%s","enddate":"%s","prcunt":"次"}' "$4" "$5" "$6"
}

# settle INFNO AMOUNT: 2206 or 2207 of the visit for medfee_sumamt AMOUNT
settle() {
    send "$1" '{"data":{"psn_no":"'$PSN'","mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","med_type":"11",
  "medfee_sumamt":"'"$2"'","psn_setlway":"01","mdtrt_id":"'"$MDTRT"'","chrg_bchno":"B1","acct_used_flag":"0","insutype":"310"}}'
}

# no_mapping_in_1312 NAME NATIONAL: 1312 of NATIONAL lists it with no local code
no_mapping_in_1312() {
    send 1312 '{"data":{"med_list_codg":"'"$2"'"}}'
    if [ "$INFCODE" = 0 ] && grep -q "\"hilist_code\":\"$2\"" "$BODY" &&
        ! grep -q '"fixmedins_hilist_id"' "$BODY"; then
        ok "$1"
    else
        fail "$1" "$(cat "$BODY")"
    fi
}

# ---- start: the mappings file was loaded ----

if grep -q "mappings .*conf/sim/mappings.tsv: 4 loaded, 0 already in the database" "$E2E_TMP/sim.log"; then
    ok "the simulator loaded the 4 mappings of conf/sim/mappings.tsv"
else
    fail "the simulator loaded the 4 mappings of conf/sim/mappings.tsv" "$(cat "$E2E_TMP/sim.log")"
fi

write_9001 "$E2E_TMP/9001.json"
post "$URL" "$E2E_TMP/9001.json"
SIGN=$(json_str "$BODY" sign_no)
check "9001 sign-in (sign_no $SIGN)" [ ${#SIGN} -eq 30 ]

send 2201 '{"data":{"psn_no":"'$PSN'","insutype":"310","begntime":"2024-03-01 09:00:00",
  "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","ipt_otp_no":"MZ20240301101","atddr_no":"D450199000001",
  "dr_name":"测试医生","dept_code":"A03","dept_name":"内科","caty":"A03"}}'
MDTRT=$(json_str "$BODY" mdtrt_id)
[ "$INFCODE" = 0 ] || MDTRT=""
check "2201 registration (mdtrt_id $MDTRT; err_msg: $ERR)" [ -n "$MDTRT" ]

# ---- the demo hospital's mapped codes ----

accepted "2204 with the demo's mapped codes F0001 Y0001 H0001" 2204 "{\"feedetail\":[$(F1 1),$(Y1 2),$(H1 3)]}"
n=$(grep -o '"feedetl_sn":"[123]"' "$BODY" | wc -l)
check "2204 answers one result row per line ($n of 3)" [ "$n" -eq 3 ]

# ---- an unmapped local code in line 3: nothing of the request is stored ----

refused "2204 with an unmapped local code in its third line" 2204 \
    "{\"feedetail\":[$(F1 4),$(Y1 5),$(line 6 L9 XA01ABD075A002010100483 "$T" 2 12.50 25.00)]}" \
    '目录对照信息不存在: input.feedetail[2].medins_list_codg "L9" of H45019900055 has no mapping (upload it with 3301)'
settle 2206 63.50
check "2206: the visit still holds lines 1-3 only (63.50; err_msg: $ERR)" [ "$INFCODE" = 0 ]
accepted "the same feedetl_sns 4 5 6 are accepted once line 6 is fixed" 2204 \
    "{\"feedetail\":[$(F1 4),$(Y1 5),$(line 6 Y0001 XA01ABD075A002010100483 "$T" 2 12.50 25.00)]}"

# ---- a national code that is not the local code's mapping ----

refused "2204 whose med_list_codg is not its local code's mapping" 2204 \
    "{\"feedetail\":[$(line 7 Y0001 001216000010100 "$T" 1 30.00 30.00)]}" \
    '目录对照不符: input.feedetail[0].medins_list_codg "Y0001" is mapped to XA01ABD075A002010100483, the line says 001216000010100 (med_list_codg)'

# ---- 3301: a new mapping, then 3302 ----

refused "2204 with N0001 before its 3301" 2204 \
    "{\"feedetail\":[$(line 8 N0001 004400000010100 "$T" 1 20.00 20.00)]}" \
    '目录对照信息不存在: input.feedetail[0].medins_list_codg "N0001" of H45019900055 has no mapping (upload it with 3301)'
accepted "3301 maps N0001 to 004400000010100" 3301 \
    "{\"catalogcompin\":[$(map N0001 本院灸法 201 004400000010100 2024-01-01 2099-12-31)]}"
accepted "2204 with N0001 after its 3301" 2204 \
    "{\"feedetail\":[$(line 8 N0001 004400000010100 "$T" 1 20.00 20.00)]}"

refused "3301 with one bad row (enddate before begndate)" 3301 \
    "{\"catalogcompin\":[$(map B0001 本院自费药 101 XN05CMS999A001010199999 2024-01-01 2099-12-31),$(map B0002 本院自费耗材 301 C01010100100000000000099999 2024-01-01 2023-12-31)]}" \
    '日期错误: input.catalogcompin[1].enddate 2023-12-31 is before begndate 2024-01-01'
no_mapping_in_1312 "1312: the refused 3301's good row B0001 is not mapped" XN05CMS999A001010199999
no_mapping_in_1312 "1312: the refused 3301's bad row B0002 is not mapped" C01010100100000000000099999
refused "2204 with B0001 after the refused 3301" 2204 \
    "{\"feedetail\":[$(line 9 B0001 XN05CMS999A001010199999 "$T" 1 5.00 5.00)]}" \
    '目录对照信息不存在: input.feedetail[0].medins_list_codg "B0001" of H45019900055 has no mapping (upload it with 3301)'

accepted "3302 revokes N0001" 3302 \
    '{"data":{"fixmedins_code":"'$FIX'","fixmedins_hilist_id":"N0001","list_type":"201","med_list_codg":"004400000010100"}}'
refused "2204 with N0001 after its 3302" 2204 \
    "{\"feedetail\":[$(line 9 N0001 004400000010100 "$T" 1 20.00 20.00)]}" \
    '目录对照信息不存在: input.feedetail[0].medins_list_codg "N0001" of H45019900055 has no mapping (upload it with 3301)'

# ---- the mapping's dates ----

accepted "3301 maps D0001 for 2024-01-01 to 2024-06-30" 3301 \
    "{\"catalogcompin\":[$(map D0001 本院自费药 101 XN05CMS999A001010199999 2024-01-01 2024-06-30)]}"
refused "2204 with D0001 the day after its enddate" 2204 \
    "{\"feedetail\":[$(line 10 D0001 XN05CMS999A001010199999 '2024-07-01 10:00:00' 1 5.00 5.00)]}" \
    '目录对照不在有效期: input.feedetail[0].fee_ocur_time 2024-07-01 10:00:00 is outside the mapping of medins_list_codg "D0001" to XN05CMS999A001010199999 (2024-01-01 to 2024-06-30)'
refused "2204 with D0001 the day before its begndate" 2204 \
    "{\"feedetail\":[$(line 10 D0001 XN05CMS999A001010199999 '2023-12-31 23:59:59' 1 5.00 5.00)]}" \
    '目录对照不在有效期: input.feedetail[0].fee_ocur_time 2023-12-31 23:59:59 is outside the mapping of medins_list_codg "D0001" to XN05CMS999A001010199999 (2024-01-01 to 2024-06-30)'
accepted "2204 with D0001 on the last day of the mapping" 2204 \
    "{\"feedetail\":[$(line 10 D0001 XN05CMS999A001010199999 '2024-06-30 23:59:59' 1 5.00 5.00)]}"
accepted "3301 of D0001 again, to 2099-12-31, replaces its mapping" 3301 \
    "{\"catalogcompin\":[$(map D0001 本院自费药 101 XN05CMS999A001010199999 2024-01-01 2099-12-31)]}"
accepted "2204 with D0001 on 2024-07-01 after the replacement" 2204 \
    "{\"feedetail\":[$(line 11 D0001 XN05CMS999A001010199999 '2024-07-01 10:00:00' 1 5.00 5.00)]}"

# ---- the settlement holds exactly the accepted lines ----
# 1-3: 63.50; 4-6: 80.00; 8: 20.00; 10, 11: 5.00 each

settle 2207 173.50
got=$(sed -n 's/.*"medfee_sumamt":\([0-9.]*\).*/\1/p' "$BODY" | head -n 1)
[ "$INFCODE" = 0 ] || got="refused"
check "2207 settles the accepted lines only (medfee_sumamt $got; err_msg: $ERR)" [ "$got" = 173.50 ]

# ---- check_mapping off (the default), on a second simulator ----

grep -v '^check_mapping' "$E2E_TMP/sim.conf" |
    sed -e "s|127\.0\.0\.1:$SIM_PORT\([^0-9]\)|127.0.0.1:$SPARE_PORT\1|; s|^\(\s*database\s\+\)[^;]*;|\1:memory:;|" \
        -e '/^platform \(hunan\|zhejiang\|national\) {/,/^}/d' \
        >"$E2E_TMP/sim_off.conf"
(cd "$E2E_TMP" && exec "$SIM" -c "$E2E_TMP/sim_off.conf") >"$E2E_TMP/sim_off.log" 2>&1 &
E2E_PIDS+=("$!")
if e2e_wait_port "$SPARE_PORT" 10; then
    URL="http://127.0.0.1:$SPARE_PORT$SERVICE_PATH"
    write_9001 "$E2E_TMP/9001b.json"
    post "$URL" "$E2E_TMP/9001b.json"
    SIGN=$(json_str "$BODY" sign_no)
    send 2201 '{"data":{"psn_no":"'$PSN'","insutype":"310","begntime":"2024-03-01 09:00:00",
      "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","ipt_otp_no":"MZ20240301102","dept_code":"A03","dept_name":"内科"}}'
    MDTRT=$(json_str "$BODY" mdtrt_id)
    accepted "check_mapping off: 2204 with an unmapped local code is accepted" 2204 \
        "{\"feedetail\":[$(line 1 L9 XA01ABD075A002010100483 "$T" 2 12.50 25.00)]}"
else
    fail "a second simulator (check_mapping off) listens on 127.0.0.1:$SPARE_PORT"
fi

# ---- ybgw-sim -t names a bad line of the mappings file ----

printf '# a comment\nfixmedins_code\tfixmedins_hilist_id\tfixmedins_hilist_name\tlist_type\tmed_list_codg\tbegndate\tenddate\n' \
    >"$E2E_TMP/bad.tsv"
printf 'H45019900055\tF0001\t导尿\t201\t001216000010100\t2024-01-01\t2023-12-31\n' >>"$E2E_TMP/bad.tsv"
sed "s|^\(\s*mappings\s\+\)[^;]*;|\1$E2E_TMP/bad.tsv;|" "$E2E_TMP/sim.conf" >"$E2E_TMP/sim_bad.conf"
out=$("$SIM" -t -c "$E2E_TMP/sim_bad.conf" 2>&1)
rc_t=$?
want="ybgw-sim: $E2E_TMP/bad.tsv:3: 日期错误: enddate 2023-12-31 is before begndate 2024-01-01"
if [ "$rc_t" -eq 1 ] && [ "$out" = "$want" ]; then
    ok "ybgw-sim -t: $out"
else
    fail "ybgw-sim -t refuses a bad mappings line with: $want" "status $rc_t: $out"
fi

e2e_finish
