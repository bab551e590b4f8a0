#!/bin/bash
# codes.sh - the code plugins end to end (issue 3, item 7): a 2204 fee upload
# and a 4101 settlement list, each sent once per code-carrying field with ONE
# bad code in it, are refused by the gateway with the field's path, the
# value, the reason and the rule's source ([codeset.KIND]), and never reach
# the simulator (the upstream call count in /metrics does not move); the
# kinds the default configuration only warns about (codes { doctor warn;
# nurse warn; ... }) and the legacy consumable code pass with the finding in
# warn_msg and in ybgw_findings_total; and the same messages with correct
# codes reach the simulator and are accepted without a single code finding.
#
# Every expected message is the whole err_msg, so a missing plugin (the
# field then falls to another kind, to "is not a ... code" or to nothing),
# a second finding or a changed wording fails the case. No field of 2204 or
# 4101 names sysunit or sysstaff (4101's hsorg fields hold names), so those
# two plugins are not exercised here; setl_list.sh covers setl_list.
#
# Real codes (/work/shared/spec/codesets.md, all in the SAMPLE tables of
# codesets/*/sample.csv): 001216000010100 (导尿), XA01ABD075A002010100483 (西药),
# M03900 (高血压病), D421003007628 (医保医师), H45019900055 (the demo
# hospital), A09.900 and 03.1x01, 00.0100 (ICD-10 / ICD-9-CM-3 医保版).
# SYNTHETIC codes, made up here and marked where used: the consumables
# C01020100100000000000000001 (27 digits; the consumable sample table is
# empty, so only its structure is checked) and C0102010010000000001 (a legacy
# 2019 shape), the technician code HJ450199000001, and every bad code but
# P45010301036 (the spec's real pharmacy, sent where a hospital belongs).
#
# The stays come from visits/codes_2204.json (9001, 1101, 2201 for 测试甲)
# and visits/codes_4101.json (9001 .. 2304 for 测试乙); this script sends the
# 2204 and 4101 messages itself so that it can read /metrics around each one.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports

# the default configuration: all 17 plugins, codes { default reject; doctor,
# nurse, pharmacist, sysstaff warn; }
e2e_start_all

UPSTREAM_COUNT='ybgw_upstream_duration_seconds_count{upstream="guangxi"'

# findings SOURCE SEVERITY: ybgw_findings_total for one source and severity
findings() {
    metric "ybgw_findings_total{source=\"$1\",severity=\"$2\"}"
}

# codeset_findings TEXT: how many code findings ([codeset...]) TEXT holds
codeset_findings() {
    printf '%s' "$1" | grep -o '\[codeset[^]]*\]' | wc -l
}

# ---- sending and judging ----

# send NAME: post the current message of TXN (2204 or 4101); sets STATUS,
# BODY, INFCODE, ERR and WARN
send() {
    local file
    file="$E2E_TMP/$(printf '%s' "$1" | tr -c 'A-Za-z0-9' _).$TXN.json"
    case "$TXN" in
    2204) write_2204 "$file" ;;
    *) write_4101 "$file" ;;
    esac
    post "$GW_URL" "$file"
    INFCODE=$(json_num "$BODY" infcode)
    ERR=$(json_str "$BODY" err_msg)
    WARN=$(json_str "$BODY" warn_msg)
}

# refused NAME SOURCE ERR_MSG: the gateway answered infcode -1 with exactly
# ERR_MSG (one finding: path: "value" reason [SOURCE]), counted one error of
# SOURCE in ybgw_findings_total, and did not call the platform.
refused() {
    local name=$1 source=$2 want=$3 up found up2 found2
    up=$(metric "$UPSTREAM_COUNT")
    found=$(findings "$source" error)
    send "$name"
    up2=$(metric "$UPSTREAM_COUNT")
    found2=$(findings "$source" error)
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = -1 ] && [ "$ERR" = "$want" ]; then
        ok "$name: refused: $ERR"
    else
        fail "$name: refused with err_msg: $want" \
            "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR"
    fi
    if [ "$up2" = "$up" ] && [ "$found2" -eq $((found + 1)) ]; then
        ok "$name: the simulator saw nothing (upstream calls $up -> $up2), one $source error counted"
    else
        fail "$name: the simulator saw nothing, one $source error counted" \
            "upstream calls $up -> $up2, ybgw_findings_total{source=\"$source\",severity=\"error\"} $found -> $found2"
    fi
}

# accepted NAME [FINDING...]: the message reached the simulator (one more
# upstream call) and was accepted (infcode 0, no err_msg), and its warn_msg
# holds each FINDING and no other code finding.
accepted() {
    local name=$1 up up2 missing="" w n
    shift
    up=$(metric "$UPSTREAM_COUNT")
    send "$name"
    up2=$(metric "$UPSTREAM_COUNT")
    for w in "$@"; do
        case "$WARN" in *"$w"*) ;; *) missing="$missing [$w]" ;; esac
    done
    n=$(codeset_findings "$WARN")
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = 0 ] && [ -z "$ERR" ] && [ -z "$missing" ] &&
        [ "$n" -eq $# ] && [ "$up2" -eq $((up + 1)) ]; then
        ok "$name: accepted by the simulator (upstream calls $up -> $up2)${WARN:+, warn_msg: $WARN}"
    else
        fail "$name: accepted by the simulator with $# code finding(s) in warn_msg${missing:+, missing$missing}" \
            "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR, warn_msg ($n code findings): $WARN, upstream calls $up -> $up2"
    fi
}

# warned NAME SOURCE BEFORE_WARN BEFORE_ERROR: the last message counted one
# warning and no error of SOURCE in ybgw_findings_total
warned() {
    local w e
    w=$(findings "$2" warn)
    e=$(findings "$2" error)
    if [ "$w" -eq $(($3 + 1)) ] && [ "$e" -eq "$4" ]; then
        ok "$1: ybgw_findings_total counted one $2 warning ($3 -> $w), no error"
    else
        fail "$1: ybgw_findings_total counted one $2 warning and no error" \
            "warn $3 -> $w, error $4 -> $e"
    fi
}

# ==== 2204: an outpatient visit of 测试甲 ====

visit "$VISITS/codes_2204.json" --json >"$E2E_TMP/otp.out" 2>"$E2E_TMP/otp.err"
rc=$?
check "the outpatient visit up to its registration (9001, 1101, 2201) passes (exit $rc)" [ "$rc" -eq 0 ]
OTP_SIGN_NO=$(saved "$E2E_TMP/otp.out" sign_no)
OTP_PSN_NO=$(saved "$E2E_TMP/otp.out" psn_no)
OTP_INSUPLC=$(saved "$E2E_TMP/otp.out" insuplc_admdvs)
OTP_MDTRT_ID=$(saved "$E2E_TMP/otp.out" mdtrt_id)
if [ -z "$OTP_SIGN_NO" ] || [ -z "$OTP_PSN_NO" ] || [ -z "$OTP_MDTRT_ID" ] || [ -z "$OTP_INSUPLC" ]; then
    fail "1101 and 2201 answered psn_no, insuplc_admdvs and mdtrt_id" \
        "$(cat "$E2E_TMP/otp.out" "$E2E_TMP/otp.err")"
    e2e_finish
fi
ok "registered $OTP_MDTRT_ID for $OTP_PSN_NO"

# reset_2204: a correct upload of three lines: [0] a service item, [1] a
# 西药, [2] a consumable (SYNTHETIC code); each case changes one code.
reset_2204() {
    TXN=2204
    FIX=H45019900055     # envelope fixmedins_code
    MSGID_SET=""         # a msgid to send instead of a fresh one
    CODE=(001216000010100 XA01ABD075A002010100483 C01020100100000000000000001)
    LOCAL2=H0001         # line [2]'s local code: the catalog maps it to CODE[2]
    DISE=(M03900 M03900 M03900)
    DR=(D421003007628 D421003007628 D421003007628)
    ORDERS_DR=HJ450199000001 # line [0]'s 受单医生: a SYNTHETIC HJ technician code
    ETIP=H45019900055        # line [0]'s 外检医院
}

OTP_SEQ=0
# write_2204 FILE: the current upload as a request (fresh feedetl_sn each time:
# the simulator refuses a line it already holds)
write_2204() {
    local now sn
    now=$(date '+%Y-%m-%d %H:%M:%S')
    if [ -n "$MSGID_SET" ]; then MSGID=$MSGID_SET; else next_msgid "$FIX"; fi
    OTP_SEQ=$((OTP_SEQ + 1))
    sn="F${MSGID:12:14}$(printf '%03d' "$OTP_SEQ")"
    cat >"$1" <<JSON
{"infno":"2204","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"$OTP_INSUPLC","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$now","fixmedins_code":"$FIX","fixmedins_name":"演示医院","sign_no":"$OTP_SIGN_NO",
"input":{"feedetail":[
{"feedetl_sn":"${sn}0","mdtrt_id":"$OTP_MDTRT_ID","psn_no":"$OTP_PSN_NO","chrg_bchno":"CB$sn","dise_codg":"${DISE[0]}","rxno":"","rx_circ_flag":"0","fee_ocur_time":"$now","med_list_codg":"${CODE[0]}","medins_list_codg":"F0001","det_item_fee_sumamt":"30.00","cnt":"1","pric":"30.00","bilg_dept_codg":"A03","bilg_dept_name":"内科","bilg_dr_codg":"${DR[0]}","bilg_dr_name":"医生甲","orders_dr_code":"$ORDERS_DR","orders_dr_name":"技师丁","hosp_appr_flag":"1","etip_flag":"1","etip_hosp_code":"$ETIP"},
{"feedetl_sn":"${sn}1","mdtrt_id":"$OTP_MDTRT_ID","psn_no":"$OTP_PSN_NO","chrg_bchno":"CB$sn","dise_codg":"${DISE[1]}","rxno":"RX$sn","rx_circ_flag":"0","fee_ocur_time":"$now","med_list_codg":"${CODE[1]}","medins_list_codg":"Y0001","det_item_fee_sumamt":"125.00","cnt":"10","pric":"12.50","sin_dos_dscr":"1片","used_frqu_dscr":"每日三次","prd_days":"3","medc_way_dscr":"口服","bilg_dept_codg":"A03","bilg_dept_name":"内科","bilg_dr_codg":"${DR[1]}","bilg_dr_name":"医生甲","hosp_appr_flag":"1"},
{"feedetl_sn":"${sn}2","mdtrt_id":"$OTP_MDTRT_ID","psn_no":"$OTP_PSN_NO","chrg_bchno":"CB$sn","dise_codg":"${DISE[2]}","rxno":"","rx_circ_flag":"0","fee_ocur_time":"$now","med_list_codg":"${CODE[2]}","medins_list_codg":"$LOCAL2","det_item_fee_sumamt":"8.50","cnt":"1","pric":"8.50","bilg_dept_codg":"A03","bilg_dept_name":"内科","bilg_dr_codg":"${DR[2]}","bilg_dr_name":"医生甲","hosp_appr_flag":"1"}]}}
JSON
}

# ---- the correct upload first: it reaches the simulator ----
reset_2204
accepted "2204 with correct codes"
check "2204 with correct codes: the simulator answered the three lines" \
    [ "$(grep -o '"feedetl_sn"' "$BODY" | wc -l)" -eq 3 ]

# ---- one bad code per field and kind: refused at the gateway ----
reset_2204
CODE[1]=XA01ABD075A00201010048 # the real code less its last digit: 22 characters
refused "2204 a 22-character 西药 code" codeset.drug \
    'feedetail[1].med_list_codg: "XA01ABD075A00201010048" 西药 code must be 23 characters, got 22 (a 西药目录 code has 12) [codeset.drug]'

reset_2204
CODE[1]=XA99ABD075A002010100483 # ATC level-2 class A99 does not exist
refused "2204 a 西药 code with an ATC class that does not exist" codeset.drug \
    'feedetail[1].med_list_codg: "XA99ABD075A002010100483" ATC class A99AB does not exist: no level-2 class A99; characters 2 to 6 of a 西药 code are its WHO ATC level-4 class [codeset.drug]'

reset_2204
CODE[0]=00121600001010 # 14 digits
refused "2204 a 14-digit service code" codeset.service \
    'feedetail[0].med_list_codg: "00121600001010" 医疗服务项目 code must be 15 characters, got 14 [codeset.service]'

reset_2204
CODE[2]=C0102010010000000000000A001 # SYNTHETIC, 27 characters, a letter among the digits
refused "2204 a consumable code with a letter in its digits" codeset.consumable \
    'feedetail[2].med_list_codg: "C0102010010000000000000A001" 医用耗材 code: detail (耗材材质, 规格, 耗材企业 (material/specification/enterprise; split unverified)) at position 11 must be 17 digits, got "0000000000000A001" [codeset.consumable]'

# dise_codg is chronic|drg_dise|daysurg: a code starting with M is judged as
# a 门诊慢特病 code (the permissive drg_dise form would take M0390)
reset_2204
DISE[1]=M0390
refused "2204 a malformed 门诊慢特病 dise_codg" codeset.chronic \
    'feedetail[1].dise_codg: "M0390" 门诊慢特病 code must be 6 characters, got 5 [codeset.chronic]'

# a disease name where the code belongs: no kind of the three has that shape
reset_2204
DISE[0]=高血压
refused "2204 a dise_codg that no kind of the field accepts" codeset \
    'feedetail[0].dise_codg: "高血压" is not a 医保门诊慢特病病种, 按病种结算病种 or 日间手术病种 code [codeset]'

reset_2204
ETIP=H99019900001 # SYNTHETIC: region 990199 (no province 99)
refused "2204 an external-test hospital code with an unknown region" codeset.fixmedins \
    'feedetail[0].etip_hosp_code: "H99019900001" region 990199 inside the code: province 99 is not a province-level code of GB/T 2260 [codeset.fixmedins]'

# the envelope's fixmedins_code (fixmedins|pharmacy); the msgid starts with it
reset_2204
FIX=H99019900055
refused "2204 from an institution code with an unknown region" codeset.fixmedins \
    'fixmedins_code: "H99019900055" region 990199 inside the code: province 99 is not a province-level code of GB/T 2260 [codeset.fixmedins]'

# the same with the msgid of the real code: the envelope rule reports it too
reset_2204
FIX=H99019900055
next_msgid H45019900055
MSGID_SET=$MSGID
refused "2204 from an institution code with an unknown region, msgid of another" codeset.fixmedins \
    "fixmedins_code: \"H99019900055\" region 990199 inside the code: province 99 is not a province-level code of GB/T 2260 [codeset.fixmedins]; msgid: \"$MSGID_SET\" must start with fixmedins_code \"H99019900055\" [envelope]"

reset_2204
FIX=P99010301036 # SYNTHETIC pharmacy code, region 990103
refused "2204 from a pharmacy code with an unknown region" codeset.pharmacy \
    'fixmedins_code: "P99010301036" region 990103 inside the code: province 99 is not a province-level code of GB/T 2260 [codeset.pharmacy]'

# ---- what only warns: accepted, the finding in warn_msg ----
reset_2204
DR[1]=LOCAL0001 # a hospital's local doctor id
w0=$(findings codeset.doctor warn)
e0=$(findings codeset.doctor error)
accepted "2204 a local bilg_dr_codg (codes { doctor warn; })" \
    'feedetail[1].bilg_dr_codg: "LOCAL0001" 医保医师 code must start with "D" (医保医师), got "LOC" [codeset.doctor]'
warned "2204 a local bilg_dr_codg" codeset.doctor "$w0" "$e0"

reset_2204
ORDERS_DR=LOCAL0003 # doctor|pharmacist: neither shape, both kinds warn
w0=$(findings codeset warn)
e0=$(findings codeset error)
accepted "2204 a local orders_dr_code (doctor|pharmacist, both warn)" \
    'feedetail[0].orders_dr_code: "LOCAL0003" is not a 医保医师 or 医保药师 code [codeset]'
warned "2204 a local orders_dr_code" codeset "$w0" "$e0"

reset_2204
CODE[2]=C0102010010000000001 # SYNTHETIC legacy 2019 code, 20 characters
LOCAL2=H0002                 # mapped to it (conf/catalog/demo.csv, conf/sim/mappings.tsv)
w0=$(findings codeset.consumable warn)
e0=$(findings codeset.consumable error)
accepted "2204 a legacy 20-character consumable code" \
    'feedetail[2].med_list_codg: "C0102010010000000001" 医用耗材(2019版): this is the legacy 20-character code of 2019; use the current 27-character 医保医用耗材代码 (C + 26 digits) from the 医用耗材分类与代码 table [codeset.consumable]'
warned "2204 a legacy consumable code" codeset.consumable "$w0" "$e0"

# ---- and the correct upload once more, after all that ----
reset_2204
accepted "2204 with correct codes, again"

# ==== 4101: the settlement list of an inpatient stay of 测试乙 ====

visit "$VISITS/codes_4101.json" --json >"$E2E_TMP/stay.out" 2>"$E2E_TMP/stay.err"
rc=$?
check "the inpatient stay up to its settlement (9001 .. 2304) passes (exit $rc)" [ "$rc" -eq 0 ]
STAY="$E2E_TMP/stay.out"
settled_stay "$STAY"
ITEMINFO="$(iteminfo_line 01 60.00 "$(saved "$STAY" lv0)"),$(iteminfo_line 09 625.00 "$(saved "$STAY" lv1)"),$(iteminfo_line 08 25.50 "$(saved "$STAY" lv2)")"

# reset_4101: a correct list of the stay; each case changes one code.
# The procedure and the outpatient chronic-disease lines carry real codes of
# the diag SAMPLE table (03.1x01, 00.0100), not a procedure this stay had.
reset_4101() {
    TXN=4101
    L_FIX=H45019900055
    L_INSUPLC=$INSUPLC
    WM=A09.900
    DSCG_WAY=1
    ACP=""
    CHFPDR=D421003007628
    NURSE=""
    OPRN_CODE=03.1x01
    OPER_DR=D421003007628
    ANST_DR=D421003007628
    OPSP_DIAG=A09.900
    OPSP_OPRN=00.0100
}

# write_4101 FILE: the current list as a request
write_4101() {
    local day
    day=$(date +%Y-%m-%d)
    next_msgid
    cat >"$1" <<JSON
{"infno":"4101","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"$INSUPLC","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0002","opter_name":"住院处乙","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"$SIGN_NO",
"input":{"setlinfo":{"mdtrt_id":"$MDTRT_ID","setl_id":"$SETL_ID","psn_no":"$PSN_NO","fixmedins_name":"演示医院","fixmedins_code":"$L_FIX","hi_setl_lv":"1","psn_name":"测试乙","gend":"2","brdy":"1985-05-05","naty":"01","hi_type":"$INSUTYPE","insuplc":"$L_INSUPLC","ipt_med_type":"1","adm_time":"$day 08:00:00","adm_caty":"A03","dscg_time":"$day 10:00:00","dscg_caty":"A03","act_ipt_days":"1","otp_wm_dise":"腹泻","wm_dise_code":"$WM","diag_code_cnt":"1","oprn_oprt_code_cnt":"1","dscg_way":"$DSCG_WAY","acp_optins_code":"$ACP","days_rinp_flag_31":"1","chfpdr_name":"医生甲","chfpdr_code":"$CHFPDR","setl_begn_date":"$day","setl_end_date":"$day","psn_selfpay":"$SELFPAY","psn_ownpay":"$OWNPAY","acct_pay":"$ACCT","psn_cashpay":"$CASH","hi_paymtd":"1","medins_fill_dept":"病案室","medins_fill_psn":"病案员丙","resp_nurs_code":"$NURSE"},
"payinfo":[{"fund_pay_type":"${FUND_TYPE:-390100}","fund_payamt":"$FUND"}],
"opspdiseinfo":[{"diag_name":"腹泻","diag_code":"$OPSP_DIAG","oprn_oprt_name":"操作","oprn_oprt_code":"$OPSP_OPRN"}],
"diseinfo":[{"diag_type":"1","diag_code":"A09.900","diag_name":"腹泻","adm_cond_type":"1","maindiag_flag":"1"}],
"iteminfo":[$ITEMINFO],
"oprninfo":[{"oprn_oprt_type":"1","oprn_oprt_name":"操作","oprn_oprt_code":"$OPRN_CODE","oprn_oprt_date":"$day 09:00:00","anst_way":"1","oper_dr_name":"医生甲","oper_dr_code":"$OPER_DR","anst_dr_name":"医生甲","anst_dr_code":"$ANST_DR"}]}}
JSON
}

# ---- the correct list first: it reaches the simulator ----
reset_4101
accepted "4101 with correct codes"
check "4101 with correct codes: the simulator answered a setl_list_id" \
    grep -q '"setl_list_id":"[^"]' "$BODY"

# ---- one bad code per field and kind: refused at the gateway ----
reset_4101
WM=J18.9 # ICD-10 without the 医保版 extension
refused "4101 a malformed ICD-10 wm_dise_code" codeset.icd10yb \
    'setlinfo.wm_dise_code: "J18.9" ICD-10 医保版 code must be 7 or 11 characters, got 5 [codeset.icd10yb]'

reset_4101
OPRN_CODE=03.1x0 # 03.1x01 less its last digit
refused "4101 a malformed ICD-9-CM-3 oprn_oprt_code" codeset.icd9yb \
    'oprninfo[0].oprn_oprt_code: "03.1x0" ICD-9-CM-3 医保版 code must be 7 or 11 characters, got 6 [codeset.icd9yb]'

reset_4101
OPSP_DIAG=A09.9
refused "4101 a malformed ICD-10 opspdiseinfo diag_code" codeset.icd10yb \
    'opspdiseinfo[0].diag_code: "A09.9" ICD-10 医保版 code must be 7 or 11 characters, got 5 [codeset.icd10yb]'

reset_4101
OPSP_OPRN=0001x00 # no dot
refused "4101 a malformed ICD-9-CM-3 opspdiseinfo oprn_oprt_code" codeset.icd9yb \
    'opspdiseinfo[0].oprn_oprt_code: "0001x00" ICD-9-CM-3 医保版 code: dot (separator) at position 3 must be ".", got "0" [codeset.icd9yb]'

reset_4101
L_FIX=H99019900055 # SYNTHETIC: region 990199
refused "4101 a setlinfo.fixmedins_code with an unknown region" codeset.fixmedins \
    'setlinfo.fixmedins_code: "H99019900055" region 990199 inside the code: province 99 is not a province-level code of GB/T 2260 [codeset.fixmedins]'

reset_4101
DSCG_WAY=2
ACP=P45010301036 # a pharmacy where a 定点医疗机构 is asked for
refused "4101 a pharmacy code as the receiving institution" codeset.fixmedins \
    'setlinfo.acp_optins_code: "P45010301036" 定点医疗机构 code must start with "H" (定点医疗机构), got "P45" [codeset.fixmedins]'

reset_4101
L_INSUPLC=990100 # province 99 does not exist
refused "4101 an insured place in an unknown province" codeset.admdvs \
    'setlinfo.insuplc: "990100" province 99 is not a province-level code of GB/T 2260 [codeset.admdvs]'

# ---- people codes only warn (codes { doctor warn; nurse warn; }) ----
reset_4101
CHFPDR=LOCAL0001
w0=$(findings codeset.doctor warn)
e0=$(findings codeset.doctor error)
accepted "4101 a local chfpdr_code" \
    'setlinfo.chfpdr_code: "LOCAL0001" 医保医师 code must start with "D" (医保医师), got "LOC" [codeset.doctor]'
warned "4101 a local chfpdr_code" codeset.doctor "$w0" "$e0"

reset_4101
OPER_DR=LOCAL0004
w0=$(findings codeset.doctor warn)
e0=$(findings codeset.doctor error)
accepted "4101 a local oper_dr_code" \
    'oprninfo[0].oper_dr_code: "LOCAL0004" 医保医师 code must start with "D" (医保医师), got "LOC" [codeset.doctor]'
warned "4101 a local oper_dr_code" codeset.doctor "$w0" "$e0"

reset_4101
NURSE=LOCAL0002
w0=$(findings codeset.nurse warn)
e0=$(findings codeset.nurse error)
accepted "4101 a local resp_nurs_code" \
    'setlinfo.resp_nurs_code: "LOCAL0002" 医保护士 code must start with "N" (医保护士), got "LOC" [codeset.nurse]'
warned "4101 a local resp_nurs_code" codeset.nurse "$w0" "$e0"

# ---- the list that stays is the correct one ----
reset_4101
accepted "4101 with correct codes, again"

e2e_finish
