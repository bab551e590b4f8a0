#!/bin/bash
# setl_list.sh - the settlement list (4101/4101A) through the real gateway
# with the setl_list plugin (codesets/setl_list/checks.conf) and the diag
# plugin (icd10yb), against the simulator.
#
# An inpatient stay is settled first (9001 .. 2304, from visits/inpatient.json),
# because the simulator accepts a settlement list only for a live settlement.
# Then: a valid 4101 and 4101A reach the simulator and are accepted; every
# rule that rejects has a negative that is answered by the gateway with the
# field, the value and the reason, and never reaches the simulator (the
# upstream call count in /metrics does not move); the rules that only warn
# let the list through with the warning in warn_msg.
#
# People, institutions and amounts are the simulator's synthetic ones. The
# TCM diagnosis code ZY-SYNTH-01 is SYNTHETIC (not a real TCM code): it only
# shows that TCM codes are not sent to the ICD-10 check.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
e2e_init
e2e_ports

# the default configuration loads every code plugin a settlement list needs
# (diag for icd10yb, doctor and nurse under the codes { } warn policy, setl_list)
e2e_start_all

UPSTREAM_COUNT='ybgw_upstream_duration_seconds_count{upstream="guangxi"'

# ---- a settled stay ----
stay="$E2E_TMP/stay.json"
cat >"$stay" <<'JSON'
{
  "name": "inpatient stay up to its settlement, for the settlement-list checks",
  "comment": "Steps 9001 to 2304 of tests/e2e/visits/inpatient.json, saving what a 4101 needs.",
  "envelope": {"mdtrtarea_admvs": "450199", "insuplc_admdvs": "${insuplc_admdvs}", "recer_sys_code": "YBGW",
               "dev_no": "", "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0",
               "opter_type": "1", "opter": "0002", "opter_name": "住院处乙",
               "fixmedins_code": "H45019900055", "fixmedins_name": "演示医院", "sign_no": ""},
  "vars": {"insuplc_admdvs": "", "certno": "450103198505050022", "psn_name": "测试乙",
           "doctor": "D450199000001", "ipt_no": "ZY${timestamp}", "fee_total": "710.50"},
  "steps": [
    {"infno": "9001", "input": {"signIn": {"opter_no": "0002", "mac": "02-00-00-00-00-02", "ip": "127.0.0.1"}},
     "save": {"sign_no": "signinoutb.sign_no"}},
    {"infno": "1101", "input": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "${certno}", "card_sn": "",
       "begntime": "${now}", "psn_cert_type": "01", "certno": "${certno}", "psn_name": "${psn_name}"}},
     "save": {"psn_no": "baseinfo.psn_no", "insutype": "insuinfo[0].insutype",
              "insuplc_admdvs": "insuinfo[0].insuplc_admdvs"}},
    {"infno": "2401", "input": {
       "mdtrtinfo": {"psn_no": "${psn_no}", "insutype": "${insutype}", "coner_name": "测试家属", "tel": "07710000000",
         "begntime": "${now}", "mdtrt_cert_type": "02", "mdtrt_cert_no": "${certno}", "med_type": "21",
         "ipt_no": "${ipt_no}", "medrcdno": "${ipt_no}", "atddr_no": "${doctor}", "chfpdr_name": "医生甲",
         "adm_diag_dscr": "社区获得性肺炎", "adm_dept_codg": "A03", "adm_dept_name": "内科", "adm_bed": "12",
         "dscg_maindiag_code": "J18.900", "dscg_maindiag_name": "肺炎", "main_cond_dscr": "发热咳嗽五天",
         "dise_codg": "J18.900", "dise_name": "肺炎"},
       "diseinfo": [{"psn_no": "${psn_no}", "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1,
         "diag_code": "J18.900", "diag_name": "肺炎", "adm_cond": "一般", "diag_dept": "内科",
         "dise_dor_no": "${doctor}", "dise_dor_name": "医生甲", "diag_time": "${now}"}]},
     "save": {"mdtrt_id": "data.mdtrt_id"}},
    {"infno": "2301", "input": {"feedetail": [
       {"feedetl_sn": "${ipt_no}01", "init_feedetl_sn": "", "mdtrt_id": "${mdtrt_id}", "drord_no": "YZ01",
        "psn_no": "${psn_no}", "med_type": "21", "fee_ocur_time": "${now}", "med_list_codg": "001216000010100",
        "medins_list_codg": "F0001", "det_item_fee_sumamt": "60.00", "cnt": "2", "pric": "30.00",
        "bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "${doctor}", "bilg_dr_name": "医生甲",
        "hosp_appr_flag": "1"},
       {"feedetl_sn": "${ipt_no}02", "init_feedetl_sn": "", "mdtrt_id": "${mdtrt_id}", "drord_no": "YZ02",
        "psn_no": "${psn_no}", "med_type": "21", "fee_ocur_time": "${now}", "med_list_codg": "XA01ABD075A002010100483",
        "medins_list_codg": "Y0001", "det_item_fee_sumamt": "625.00", "cnt": "50", "pric": "12.50",
        "bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "${doctor}", "bilg_dr_name": "医生甲",
        "hosp_appr_flag": "1"},
       {"feedetl_sn": "${ipt_no}03", "init_feedetl_sn": "", "mdtrt_id": "${mdtrt_id}", "drord_no": "YZ03",
        "psn_no": "${psn_no}", "med_type": "21", "fee_ocur_time": "${now}", "med_list_codg": "C01020100100000000000000001",
        "medins_list_codg": "H0001", "det_item_fee_sumamt": "25.50", "cnt": "3", "pric": "8.50",
        "bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "${doctor}", "bilg_dr_name": "医生甲",
        "hosp_appr_flag": "1"}]},
     "save": {"lv0": "result[0].chrgitm_lv", "lv1": "result[1].chrgitm_lv", "lv2": "result[2].chrgitm_lv"}},
    {"infno": "2402", "input": {
       "dscginfo": {"mdtrt_id": "${mdtrt_id}", "psn_no": "${psn_no}", "insutype": "${insutype}", "endtime": "${now}",
         "dise_codg": "J18.900", "dise_name": "肺炎", "dscg_dept_codg": "A03", "dscg_dept_name": "内科", "dscg_way": "1"},
       "diseinfo": [{"mdtrt_id": "${mdtrt_id}", "psn_no": "${psn_no}", "diag_type": "1", "maindiag_flag": "1",
         "diag_srt_no": 1, "diag_code": "J18.900", "diag_name": "肺炎", "diag_dept": "内科",
         "dise_dor_no": "${doctor}", "dise_dor_name": "医生甲", "diag_time": "${now}"}]}},
    {"infno": "2304", "input": {"data": {"psn_no": "${psn_no}", "mdtrt_cert_type": "02", "mdtrt_cert_no": "${certno}",
       "medfee_sumamt": "${fee_total}", "psn_setlway": "01", "mdtrt_id": "${mdtrt_id}", "insutype": "${insutype}",
       "mid_setl_flag": "0", "acct_used_flag": "0"}},
     "check": {"setlinfo.medfee_sumamt": "${fee_total}"},
     "save": {"setl_id": "setlinfo.setl_id", "fund_pay_sumamt": "setlinfo.fund_pay_sumamt",
              "acct_pay": "setlinfo.acct_pay", "psn_cash_pay": "setlinfo.psn_cash_pay",
              "psn_part_amt": "setlinfo.psn_part_amt", "fulamt_ownpay_amt": "setlinfo.fulamt_ownpay_amt",
              "fund_pay_type": "setldetail[0].fund_pay_type"}}
  ]
}
JSON
visit "$stay" --json >"$E2E_TMP/stay.out" 2>"$E2E_TMP/stay.err"
rc=$?
check "the stay up to its settlement (9001 .. 2304) passes the gateway (exit $rc)" [ "$rc" -eq 0 ]

settled_stay "$E2E_TMP/stay.out"

# reset_4101: the valid settlement list of the stay; each case changes a part.
reset_4101() {
    INFNO=4101
    BEGN=$(date +%Y-%m-%d)
    END=$BEGN
    ADM="$BEGN 08:00:00"
    DSCG="$BEGN 10:00:00"
    L_SELFPAY=$SELFPAY
    L_OWNPAY=$OWNPAY
    L_ACCT=$ACCT
    L_CASH=$CASH
    CHFPDR=D450199000001
    NURSE=""
    PAYINFO="{\"fund_pay_type\":\"${FUND_TYPE:-390100}\",\"fund_payamt\":\"$FUND\"}"
    DISEINFO='{"diag_type":"1","diag_code":"J18.900","diag_name":"肺炎","adm_cond_type":"1","maindiag_flag":"1"}'
    ITEMINFO="$(iteminfo_line 01 60.00 "$(saved "$E2E_TMP/stay.out" lv0)"),$(iteminfo_line 09 625.00 "$(saved "$E2E_TMP/stay.out" lv1)"),$(iteminfo_line 08 25.50 "$(saved "$E2E_TMP/stay.out" lv2)")"
}

# write_4101 FILE: the current settlement list as a request.
write_4101() {
    next_msgid
    cat >"$1" <<JSON
{"infno":"$INFNO","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"$INSUPLC","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0002","opter_name":"住院处乙","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"$SIGN_NO",
"input":{"setlinfo":{"mdtrt_id":"$MDTRT_ID","setl_id":"$SETL_ID","psn_no":"$PSN_NO","fixmedins_name":"演示医院","fixmedins_code":"H45019900055","hi_setl_lv":"1","psn_name":"测试乙","gend":"2","brdy":"1985-05-05","naty":"01","hi_type":"$INSUTYPE","insuplc":"450199","ipt_med_type":"1","adm_time":"$ADM","adm_caty":"A03","dscg_time":"$DSCG","dscg_caty":"A03","act_ipt_days":"1","wm_dise_code":"J18.900","diag_code_cnt":"1","oprn_oprt_code_cnt":"0","dscg_way":"1","days_rinp_flag_31":"1","chfpdr_name":"医生甲","chfpdr_code":"$CHFPDR","setl_begn_date":"$BEGN","setl_end_date":"$END","psn_selfpay":"$L_SELFPAY","psn_ownpay":"$L_OWNPAY","acct_pay":"$L_ACCT","psn_cashpay":"$L_CASH","hi_paymtd":"1","medins_fill_dept":"病案室","medins_fill_psn":"病案员丙","resp_nurs_code":"$NURSE"},
"payinfo":[$PAYINFO],"diseinfo":[$DISEINFO],"iteminfo":[$ITEMINFO]}}
JSON
}

# send_4101 NAME: post the current list; sets STATUS, BODY, INFCODE, ERR, WARN.
send_4101() {
    write_4101 "$E2E_TMP/$1.json"
    post "$GW_URL" "$E2E_TMP/$1.json"
    INFCODE=$(json_num "$BODY" infcode)
    ERR=$(json_str "$BODY" err_msg)
    WARN=$(json_str "$BODY" warn_msg)
}

# accepted NAME WORDS...: the list reached the platform and was accepted,
# with each of WORDS in warn_msg.
accepted() {
    local name=$1 before missing="" w
    shift
    before=$(metric "$UPSTREAM_COUNT")
    send_4101 "$name"
    for w in "$@"; do
        case "$WARN" in *"$w"*) ;; *) missing="$missing [$w]" ;; esac
    done
    if [ "$INFCODE" = 0 ] && [ -z "$missing" ] &&
        [ "$(metric "$UPSTREAM_COUNT")" -eq $((before + 1)) ]; then
        ok "$name: accepted by the platform${WARN:+ with warn_msg: $WARN}"
    else
        fail "$name: accepted by the platform${missing:+, warn_msg has$missing}" \
            "infcode '$INFCODE', err_msg: $ERR, warn_msg: $WARN"
    fi
}

# refused NAME WORDS...: the gateway refused the list with each of WORDS in
# err_msg, and the platform never saw it.
refused() {
    local name=$1 before missing="" w
    shift
    before=$(metric "$UPSTREAM_COUNT")
    send_4101 "$name"
    for w in "$@"; do
        case "$ERR" in *"$w"*) ;; *) missing="$missing [$w]" ;; esac
    done
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = -1 ] && [ -z "$missing" ] &&
        [ "$(metric "$UPSTREAM_COUNT")" = "$before" ]; then
        ok "$name: refused by the gateway: $ERR"
    else
        fail "$name: refused by the gateway${missing:+, err_msg has$missing}, not sent upstream" \
            "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR, upstream $before -> $(metric "$UPSTREAM_COUNT")"
    fi
}

# no_setl_list_finding NAME: the last answer carries no finding of the plugin
no_setl_list_finding() {
    case "$WARN$ERR" in
    *'[codeset.setl_list]'*) fail "$1: no settlement-list finding" "err_msg: $ERR, warn_msg: $WARN" ;;
    *) ok "$1: no settlement-list finding" ;;
    esac
}

# ---- valid lists reach the platform ----
reset_4101
accepted "a valid 4101"
no_setl_list_finding "a valid 4101"
reset_4101
INFNO=4101A
accepted "a valid 4101A"
no_setl_list_finding "a valid 4101A"
reset_4101
# a TCM main disease (diag_type 2) flagged principal beside the western one;
# its code is not ICD-10 and is not sent to icd10yb
DISEINFO="$DISEINFO"',{"diag_type":"2","diag_code":"ZY-SYNTH-01","diag_name":"风温肺热病","maindiag_flag":"1"}'
accepted "a list with a TCM diagnosis (not an ICD-10 code)"
case "$WARN" in
*ZY-SYNTH-01*) fail "the TCM code is not sent to icd10yb" "warn_msg: $WARN" ;;
*) ok "the TCM code is not sent to icd10yb" ;;
esac

# ---- one negative per rule that rejects ----
reset_4101
DISEINFO="$DISEINFO"',{"diag_type":"1","diag_code":"A09.900","diag_name":"腹泻","maindiag_flag":"1"}'
refused "two principal diagnoses" 'diseinfo: "2" items with diag_type 1 are marked as the 西医主要诊断' \
    'diseinfo[0], diseinfo[1]' '[codeset.setl_list]'

reset_4101
DISEINFO='{"diag_type":"1","diag_code":"J18.900","diag_name":"肺炎","maindiag_flag":"0"}'
refused "no principal diagnosis" 'diseinfo: "0" items with diag_type 1 are marked as the 西医主要诊断' \
    'set maindiag_flag 1 on exactly one'

reset_4101
DISEINFO="$DISEINFO"',{"diag_type":"1","diag_code":"J18.9","diag_name":"肺炎","maindiag_flag":"0"}'
refused "a western diagnosis code that is not ICD-10 医保版" 'diseinfo[1].diag_code: "J18.9"' \
    '[codeset.icd10yb]'

reset_4101
L_CASH=-1.00
refused "a negative amount" 'setlinfo.psn_cashpay: "-1.00" 个人现金支付 must not be negative'

reset_4101
PAYINFO="$PAYINFO"',{"fund_pay_type":"610100","fund_payamt":"-0.01"}'
refused "a negative fund payment" 'payinfo[1].fund_payamt: "-0.01" 基金支付金额 must not be negative'

reset_4101
ITEMINFO='{"med_chrgitm":"01","amt":"710.50","claa_sumfee":"60.00","clab_amt":"625.00","fulamt_ownpay_amt":"0.00","oth_amt":"0.00"}'
refused "an item whose split does not add up" 'iteminfo[0].amt: "710.50" 金额 710.50 does not match' \
    '= 685.00 (off by 25.50)'

reset_4101
BEGN=$(date -d '+1 day' +%Y-%m-%d 2>/dev/null || date -v+1d +%Y-%m-%d)
refused "a settlement period that ends before it begins" \
    "setlinfo.setl_begn_date: \"$BEGN\" 结算开始日期 is after 结算结束日期 $END"

reset_4101
ADM="$END 11:00:00"
refused "an admission after the discharge" "setlinfo.adm_time: \"$ADM\" 入院时间 is after 出院时间"

# ---- the sums that only warn ----
reset_4101
PAYINFO="{\"fund_pay_type\":\"${FUND_TYPE:-390100}\",\"fund_payamt\":\"$(fen_amount $(($(cents "$FUND") - 1000)))\"}"
accepted "payments 10.00 short of the charges (a warning)" \
    'iteminfo: "710.50" 金额 (all iteminfo) 710.50 does not match' 'off by 10.00' '[codeset.setl_list]'

reset_4101
L_SELFPAY=$(fen_amount $(($(cents "$SELFPAY") + 100)))
accepted "a personal burden 1.00 off the personal payments (a warning)" \
    "setlinfo: \"$(fen_amount $(($(cents "$SELFPAY") + $(cents "$OWNPAY") + 100)))\" 个人自付" 'off by 1.00'

# ---- people codes: warnings from the schema's kinds (codes { doctor warn; nurse warn; }) ----
reset_4101
CHFPDR=LOCAL0001
accepted "a local attending-doctor id (a warning)" 'setlinfo.chfpdr_code: "LOCAL0001"'
reset_4101
NURSE=LOCAL0002
accepted "a local nurse id (a warning)" 'setlinfo.resp_nurs_code: "LOCAL0002"'

# the upload that stays is a valid one
reset_4101
accepted "the valid 4101 again"
no_setl_list_finding "the valid 4101 again"

e2e_finish
