#!/bin/bash
# tests/e2e/sim_only.sh - the simulator on its own, driven with curl.
#
# Starts ybgw-sim with a copy of conf/sim.conf on four free loopback ports
# (its platforms' 9900 Guangxi, 9901 Hunan, 9902 Zhejiang, 9903 national),
# checks that each platform answers on its own port with its own region,
# walks one outpatient visit through the Guangxi port (9001 1101 2201 2203
# 2204 2206 2207 2208), checks that a second settlement and a revoked revoke
# are refused, that the account balance comes back, and a few rejections a
# HIS meets (duplicate msgid, no sign-in, amount != cnt x pric); then a
# Hunan person's inpatient stay at the Hunan port, filed first (2501: the
# configuration requires a filing for cross-province treatment), with the
# sign-in made at the Guangxi port. conf/sim.conf checks fee lines against
# 3301 mappings, so the fee lines' local codes are mapped with 3301 before
# they are uploaded. Always stops the simulator. Exit 0 on success, 1 on a
# failed check, 77 when the binary is not built.
#
#   top_srcdir=. top_builddir=. tests/e2e/sim_only.sh
#   SIM_BIN=/tmp/ybgw-sim tests/e2e/sim_only.sh      # a binary built elsewhere

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)

SIM=${SIM_BIN:-$top_builddir/sim/ybgw-sim}
if [ ! -x "$SIM" ]; then
    echo "SKIP sim_only: $SIM is not built (set SIM_BIN to use another binary)"
    exit 77
fi
command -v curl >/dev/null 2>&1 || { echo "SKIP sim_only: no curl"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ybgw-sim-only.XXXXXX") || exit 1
SIM_PID=""
FAILED=0
PASSED=0

cleanup() {
    local status=$?
    if [ -n "$SIM_PID" ]; then
        kill -TERM "$SIM_PID" 2>/dev/null
        for _ in $(seq 1 100); do
            kill -0 "$SIM_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SIM_PID" 2>/dev/null
        wait "$SIM_PID" 2>/dev/null
        local sim_status=$?
        # a clean SIGTERM exit is 0; ASan leak reports make it non-zero
        if [ "$sim_status" -ne 0 ] && [ "$status" -eq 0 ]; then
            echo "FAIL the simulator exited with status $sim_status"
            status=1
        fi
    fi
    if [ "$status" -ne 0 ] && [ -f "$TMP/sim.log" ]; then
        echo "----- sim.log (last 40 lines) -----"
        tail -n 40 "$TMP/sim.log"
    fi
    rm -rf "$TMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL $1"; [ $# -gt 1 ] && echo "     $2" | head -c 1500 && echo; }

# four free ports in a row: the first of a few candidates nothing listens on
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 50); do
    # below the kernel's range for outgoing connections (32768 up), so no
    # client connection takes the port between this check and the bind
    p=$((20000 + (RANDOM * 7 + $$) % 12000))
    if ! busy "$p" && ! busy $((p + 1)) && ! busy $((p + 2)) && ! busy $((p + 3)); then
        PORT=$p
        break
    fi
done
[ -n "$PORT" ] || { echo "no free port"; exit 1; }

# the default configuration, on our ports (9900..9903 -> PORT..PORT+3), with
# absolute data paths
sed -e "s|127\.0\.0\.1:9900\([^0-9]\)|127.0.0.1:$PORT\1|g" \
    -e "s|127\.0\.0\.1:9901\([^0-9]\)|127.0.0.1:$((PORT + 1))\1|g" \
    -e "s|127\.0\.0\.1:9902\([^0-9]\)|127.0.0.1:$((PORT + 2))\1|g" \
    -e "s|127\.0\.0\.1:9903\([^0-9]\)|127.0.0.1:$((PORT + 3))\1|g" \
    -e "s|^\(\s*database\s\+\)[^;]*;|\1:memory:;|" \
    -e "s|^\(\s*persons\s\+\)conf/|\1$top_srcdir/conf/|" \
    -e "s|^\(\s*mappings\s\+\)conf/|\1$top_srcdir/conf/|" \
    "$top_srcdir/conf/sim.conf" >"$TMP/sim.conf"

(cd "$TMP" && exec "$SIM" -c "$TMP/sim.conf") >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
SERVICE=/fsi/api/rsfComIfsService/callService
URL_GX="http://127.0.0.1:$PORT$SERVICE"
URL_HN="http://127.0.0.1:$((PORT + 1))$SERVICE"
URL_ZJ="http://127.0.0.1:$((PORT + 2))$SERVICE"
URL_NAT="http://127.0.0.1:$((PORT + 3))$SERVICE"
URL=$URL_GX # where call posts
for _ in $(seq 1 100); do
    [ "$(curl -s --noproxy '*' -m 1 "http://127.0.0.1:$PORT/healthz" 2>/dev/null)" = "ok" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$(curl -s --noproxy '*' -m 1 "http://127.0.0.1:$PORT/healthz")" = "ok" ]; then
    ok "the simulator answers /healthz on 127.0.0.1:$PORT"
else
    bad "the simulator answers /healthz on 127.0.0.1:$PORT"
    exit 1
fi

FIX=H45019900055
PSN=4501990000000001
CERT=450103199001010011
SIGN=""
SERIAL=1000

# envelope INFNO INSUPLC INPUT_JSON: a request envelope with a fresh msgid
envelope() {
    SERIAL=$((SERIAL + 1))
    MSGID="$FIX$(date +%Y%m%d%H%M%S)$SERIAL"
    printf '{"infno":"%s","msgid":"%s","mdtrtarea_admvs":"450199","insuplc_admdvs":"%s",' \
        "$1" "$MSGID" "$2"
    printf '"recer_sys_code":"SIMTEST","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"",'
    printf '"infver":"V1.0","opter_type":"1","opter":"001","opter_name":"测试","inf_time":"%s",' \
        "$(date '+%Y-%m-%d %H:%M:%S')"
    printf '"fixmedins_code":"%s","fixmedins_name":"合成测试医院","sign_no":"%s","input":%s}' \
        "$FIX" "$SIGN" "$3"
}

# call INFNO INSUPLC INPUT_JSON: post it, the answer in ANSWER
call() {
    envelope "$@" >"$TMP/req.json"
    ANSWER=$(curl -s --noproxy '*' -m 10 -H 'Content-Type: application/json' \
        --data-binary "@$TMP/req.json" "$URL")
}

# field NAME: the (last) "NAME":"value" or "NAME":number in ANSWER
field() {
    printf '%s' "$ANSWER" | sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\)\"\{0,1\}[,}].*/\1/p" | head -n 1
}

expect_ok() {
    if printf '%s' "$ANSWER" | grep -q '"infcode":0,'; then ok "$1"; else bad "$1" "$ANSWER"; fi
}

expect_fail() {
    if printf '%s' "$ANSWER" | grep -q '"infcode":-1,' && printf '%s' "$ANSWER" | grep -q "$2"; then
        ok "$1"
    else
        bad "$1" "$ANSWER"
    fi
}

expect_field() {
    local got
    got=$(field "$2")
    if [ "$got" = "$3" ]; then ok "$1 ($2 = $3)"; else bad "$1" "$2 is \"$got\", expected \"$3\""; fi
}

# ---- one port per platform ----

# at_port URL REGION NAME: a sign-in posted to URL is answered by the
# platform REGION (the X-Sim-Platform header, inf_refmsgid and sign_no)
at_port() {
    envelope 9001 "" '{"signIn":{"opter_no":"001","mac":"","ip":"127.0.0.1"}}' >"$TMP/req.json"
    ANSWER=$(curl -s --noproxy '*' -m 10 -D "$TMP/h.txt" --data-binary "@$TMP/req.json" "$1")
    local ref sign
    ref=$(field inf_refmsgid)
    sign=$(field sign_no)
    if grep -qi "^X-Sim-Platform: $2" "$TMP/h.txt" && [ "${ref:0:6}" = "$2" ] &&
        [ "${sign:0:6}" = "$2" ] && [ ${#ref} -eq 30 ]; then
        ok "the $3 platform ($2) answers on its own port (inf_refmsgid $ref)"
    else
        bad "the $3 platform ($2) answers on its own port" "$(cat "$TMP/h.txt") $ANSWER"
    fi
}
at_port "$URL_GX" 450000 Guangxi
at_port "$URL_HN" 430000 Hunan
at_port "$URL_ZJ" 330000 Zhejiang
at_port "$URL_NAT" 100000 national

# ---- the visit ----

call 1101 "" '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'"}}'
expect_fail "1101 before 9001 is refused" "签到编号无效"

call 9001 "" '{"signIn":{"opter_no":"001","mac":"00-00-00-00-00-00","ip":"127.0.0.1"}}'
expect_ok "9001 sign-in"
SIGN=$(field sign_no)
[ ${#SIGN} -eq 30 ] && ok "sign_no has 30 characters" || bad "sign_no has 30 characters" "$SIGN"
ref=$(field inf_refmsgid)
case "$ref" in
450000*) [ ${#ref} -eq 30 ] && ok "inf_refmsgid is 450000 + 24 characters" || bad "inf_refmsgid" "$ref" ;;
*) bad "inf_refmsgid starts with the Guangxi region" "$ref" ;;
esac

call 1101 "" '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","psn_name":"测试甲"}}'
expect_ok "1101 person by 身份证"
expect_field "1101 finds 测试甲" psn_no "$PSN"
expect_field "1101 balance" balc "1200.00"
expect_field "1101 insured place" insuplc_admdvs "450199"

call 1101 "" '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"450103199909090099"}}'
expect_fail "1101 unknown person is refused" "未查询到参保信息"

call 2201 450199 '{"data":{"psn_no":"'$PSN'","insutype":"310","begntime":"2024-03-01 09:00:00",
  "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","ipt_otp_no":"MZ20240301001","atddr_no":"D450199000001",
  "dr_name":"测试医生","dept_code":"A03","dept_name":"内科","caty":"A03"}}'
expect_ok "2201 registration"
MDTRT=$(field mdtrt_id)
case "$MDTRT" in 450000*) ok "mdtrt_id starts with the region" ;; *) bad "mdtrt_id" "$MDTRT" ;; esac

call 2203 450199 '{"mdtrtinfo":{"mdtrt_id":"'$MDTRT'","psn_no":"'$PSN'","med_type":"11",
  "begntime":"2024-03-01 09:00:00","main_cond_dscr":"咳嗽","dise_codg":"J00.x00","dise_name":"急性鼻咽炎"},
  "diseinfo":[{"diag_type":"1","diag_srt_no":"1","diag_code":"J00.x00","diag_name":"急性鼻咽炎",
  "diag_dept":"内科","dise_dor_no":"D450199000001","dise_dor_name":"测试医生","diag_time":"2024-03-01 09:10:00","vali_flag":"1"}]}'
expect_ok "2203 visit information"

# conf/sim.conf has check_mapping on: each fee line's local code needs a 3301
# mapping to its national code first (tests/e2e/sim_mapping.sh tests the rule)
# map LOCAL_CODE NAME LIST_TYPE NATIONAL: one catalogcompin row
map() {
    printf '{"fixmedins_hilist_id":"%s","fixmedins_hilist_name":"本院%s","list_type":"%s",' "$1" "$2" "$3"
    printf '"med_list_codg":"%s","begndate":"2024-01-01","enddate":"2099-12-31"}' "$4"
}
call 3301 "" '{"catalogcompin":['"$(map LOCAL1 西药 101 XA01ABD075A002010100483),$(map LOCAL2 导尿 201 001216000010100),$(map LOCAL3 自费药 101 XN05CMS999A001010199999),$(map LOCAL4 西药 101 XA01ABD075A002010100483)"']}'
expect_ok "3301 maps the local codes LOCAL1-LOCAL4 the fee lines use"

# 乙 drug 2 x 15.00 (10% first self-pay), 甲 service 5 x 50.00 over its 30.00 cap,
# 丙 synthetic drug 12.34
line() {
    printf '{"feedetl_sn":"%s","mdtrt_id":"%s","psn_no":"%s","chrg_bchno":"B1","rxno":"","rx_circ_flag":"0",' \
        "$1" "$MDTRT" "$PSN"
    printf '"fee_ocur_time":"2024-03-01 09:20:00","med_list_codg":"%s","medins_list_codg":"LOCAL%s",' "$2" "$1"
    printf '"det_item_fee_sumamt":%s,"cnt":%s,"pric":%s,"bilg_dept_codg":"A03","bilg_dept_name":"内科",' "$3" "$4" "$5"
    printf '"bilg_dr_codg":"D450199000001","bilg_dr_name":"测试医生","hosp_appr_flag":"1"}'
}
FEES="[$(line 1 XA01ABD075A002010100483 30.00 2 15.00),$(line 2 001216000010100 250.00 5 50),$(line 3 XN05CMS999A001010199999 '"12.34"' '"1"' '"12.34"')]"
call 2204 450199 '{"feedetail":'"$FEES"'}'
expect_ok "2204 three fee lines"
printf '%s' "$ANSWER" | grep -q '"chrgitm_lv":"02"' && printf '%s' "$ANSWER" | grep -q '"chrgitm_lv":"03"' &&
    printf '%s' "$ANSWER" | grep -q '"overlmt_amt":100.00' && ok "2204 levels 甲/乙/丙 and the price cap" ||
    bad "2204 levels and price cap" "$ANSWER"

call 2204 450199 '{"feedetail":['"$(line 1 XA01ABD075A002010100483 30.00 2 15.00)"']}'
expect_fail "2204 duplicate feedetl_sn is refused" "费用明细流水号重复"

call 2204 450199 '{"feedetail":['"$(line 4 XA01ABD075A002010100483 30.01 2 15.00)"']}'
expect_fail "2204 amount != cnt x pric is refused, naming the line" 'feedetail\[0\] (feedetl_sn 4)'

SETTLE='{"data":{"psn_no":"'$PSN'","mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'","med_type":"11",
  "medfee_sumamt":%s,"psn_setlway":"01","mdtrt_id":"'$MDTRT'","chrg_bchno":"B1","acct_used_flag":"1","insutype":"310"}}'

call 2206 450199 "$(printf "$SETTLE" 292.33)"
expect_fail "2206 with a wrong medfee_sumamt is refused" "医疗费总额与明细不符"

call 2206 450199 "$(printf "$SETTLE" 292.34)"
expect_ok "2206 pre-settlement"
expect_field "2206 medfee_sumamt" medfee_sumamt "292.34"
expect_field "2206 act_pay_dedc (the 100.00 deductible)" act_pay_dedc "100.00"
expect_field "2206 hifp_pay (70% of 77.00)" hifp_pay "53.90"
expect_field "2206 shows the balance the settlement would leave" balc "961.56"
printf '%s' "$ANSWER" | grep -q '"setl_id"' && bad "2206 has no setl_id" "$ANSWER" || ok "2206 has no setl_id"

call 1101 "" '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'"}}'
expect_field "the account is untouched after 2206" balc "1200.00"

call 2207 450199 "$(printf "$SETTLE" 292.34)"
expect_ok "2207 settlement"
SETL=$(field setl_id)
SETTLE_MSGID=$MSGID
cp "$TMP/req.json" "$TMP/settled.json"
expect_field "2207 fund_pay_sumamt" fund_pay_sumamt "53.90"
expect_field "2207 psn_part_amt = medfee - fund" psn_part_amt "238.44"
expect_field "2207 acct_pay" acct_pay "238.44"
expect_field "2207 psn_cash_pay" psn_cash_pay "0.00"
expect_field "2207 balance after" balc "961.56"
case "$SETL" in 450000*) ok "setl_id starts with the region" ;; *) bad "setl_id" "$SETL" ;; esac

call 2207 450199 "$(printf "$SETTLE" 292.34)"
expect_fail "a second 2207 of the same visit is refused" "该就诊已结算"

# the same msgid twice (a refused request records nothing, so repeat the accepted one)
curl -s --noproxy '*' -m 10 --data-binary "@$TMP/settled.json" "$URL" >"$TMP/dup.json"
ANSWER=$(cat "$TMP/dup.json")
expect_fail "the same msgid twice is refused" "报文ID重复"

call 1101 "" '{"data":{"mdtrt_cert_type":"01","mdtrt_cert_no":"SIMECARD4501990000000001"}}'
expect_field "1101 by 电子凭证 shows the balance after 2207" balc "961.56"

call 2208 450199 '{"data":{"psn_no":"4311990000000003","mdtrt_id":"'$MDTRT'","setl_id":"'$SETL'"}}'
expect_fail "2208 for the wrong person is refused" "人员与结算信息不符"

call 2208 450199 '{"data":{"psn_no":"'$PSN'","mdtrt_id":"'$MDTRT'","setl_id":"'$SETL'"}}'
expect_ok "2208 settlement revoke"
expect_field "2208 gives the account back" balc "1200.00"
expect_field "2208 answers reversed amounts" medfee_sumamt "-292.34"

call 2208 450199 '{"data":{"psn_no":"'$PSN'","mdtrt_id":"'$MDTRT'","setl_id":"'$SETL'"}}'
expect_fail "revoking twice is refused" "该结算已撤销"

call 2601 450199 '{"data":{"psn_no":"'$PSN'","omsgid":"'$SETTLE_MSGID'","oinfno":"2207"}}'
expect_ok "2601 of a revoked settlement is an idempotent success"

# settle again: the deductible is back, so the split is the same
call 2207 450199 "$(printf "$SETTLE" 292.34)"
expect_ok "2207 again after the revoke"
expect_field "the deductible was restored by 2208" act_pay_dedc "100.00"
SETTLE_MSGID=$MSGID
call 2601 450199 '{"data":{"psn_no":"'$PSN'","omsgid":"'$SETTLE_MSGID'","oinfno":"2207"}}'
expect_ok "2601 reverses the settlement made by omsgid"
expect_field "2601 gives the account back" balc "1200.00"

# 3301 / 1312 / 3302 (a code no other mapping names, so 1312 shows this one:
# XA01... and 001216... are also the demo hospital's Y0001 and F0001)
call 3301 "" '{"catalogcompin":[{"fixmedins_hilist_id":"LOCAL9","fixmedins_hilist_name":"本院灸法",
  "list_type":"201","med_list_codg":"004400000010100","begndate":"2024-01-01","enddate":"2099-12-31"}]}'
expect_ok "3301 catalogue mapping"
call 1312 "" '{"data":{"query_date":"2024-03-01","fixmedins_code":"'$FIX'","med_list_codg":"004400000010100"}}'
expect_field "1312 shows the mapping" fixmedins_hilist_id "LOCAL9"
call 3302 "" '{"data":{"fixmedins_code":"'$FIX'","fixmedins_hilist_id":"LOCAL9","list_type":"201","med_list_codg":"004400000010100"}}'
expect_ok "3302 revokes it"
call 3302 "" '{"data":{"fixmedins_code":"'$FIX'","fixmedins_hilist_id":"LOCAL9","list_type":"201","med_list_codg":"004400000010100"}}'
expect_fail "3302 of an unknown mapping is refused" "目录对照信息不存在"

call 9999 "" '{}'
expect_fail "an unknown infno is refused" "交易编号不存在"

ANSWER=$(curl -s --noproxy '*' -m 10 -H 'Content-Type: text/plain' --data-binary '{"infno":' "$URL")
expect_fail "malformed JSON gets an infcode -1 envelope" "报文格式错误"

# the simulator does not route between ports: the port chooses the platform
envelope 1101 431199 '{"data":{"psn_cert_type":"01","certno":"431102197003030033"}}' >"$TMP/req.json"
code=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' -D "$TMP/h.txt" \
    --data-binary "@$TMP/req.json" "$URL_GX/1101")
grep -qi '^X-Sim-Platform: 450000' "$TMP/h.txt" && [ "$code" = 200 ] &&
    ok "a Hunan person (insuplc 431199) sent to the Guangxi port is answered by Guangxi" ||
    bad "the Guangxi port answers as Guangxi" "$(cat "$TMP/h.txt")"
envelope 1101 431199 '{"data":{"psn_cert_type":"01","certno":"431102197003030033"}}' >"$TMP/req.json"
code=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' -D "$TMP/h.txt" \
    --data-binary "@$TMP/req.json" "$URL_HN/1101")
grep -qi '^X-Sim-Platform: 430000' "$TMP/h.txt" && [ "$code" = 200 ] &&
    ok "a Hunan person sent to the Hunan port is answered by Hunan (with Guangxi's sign_no)" ||
    bad "Hunan port" "$(cat "$TMP/h.txt")"

# ---- an inpatient stay at the Hunan port (测试丙 is insured in Hunan; treated
# in 450199, settled by Hunan's policy; cross-province, so filed first) ----
URL=$URL_HN
PSN3=4311990000000003
CERT3=431102197003030033
call 2401 431199 '{"mdtrtinfo":{"psn_no":"'$PSN3'","insutype":"310","begntime":"2024-03-01 08:00:00",
  "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT3'","med_type":"21","ipt_no":"ZY20240301000"}}'
expect_fail "2401 cross-province without a filing is refused" "异地就医未备案: person $PSN3 (insured 431199)"
call 2501 431199 '{"refmedin":{"psn_no":"'$PSN3'","insutype":"310","mdtrtarea_admdvs":"450199",
  "reflin_medins_no":"'$FIX'","begndate":"2024-01-01","enddate":"2024-12-31"}}'
expect_ok "2501 filing at the Hunan platform"
SN=$(field trt_dcla_detl_sn)
case "$SN" in 430000*) ok "trt_dcla_detl_sn starts with 430000" ;; *) bad "trt_dcla_detl_sn" "$SN" ;; esac
call 2401 431199 '{"mdtrtinfo":{"psn_no":"'$PSN3'","insutype":"310","begntime":"2024-03-01 08:00:00",
  "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT3'","med_type":"21","ipt_no":"ZY20240301001",
  "adm_dept_codg":"A03","adm_dept_name":"内科","dscg_maindiag_code":"J18.900","dscg_maindiag_name":"肺炎"},
  "diseinfo":[{"diag_type":"1","maindiag_flag":"1","diag_srt_no":"1","diag_code":"J18.900","diag_name":"肺炎"}]}'
expect_ok "2401 admission"
IPT=$(field mdtrt_id)
case "$IPT" in 430000*) ok "the Hunan platform opened the stay" ;; *) bad "inpatient mdtrt_id" "$IPT" ;; esac
call 2401 431199 '{"mdtrtinfo":{"psn_no":"'$PSN3'","insutype":"310","begntime":"2024-03-01 08:00:00",
  "mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT3'","ipt_no":"ZY20240301002"}}'
expect_fail "a second admission of the same person is refused" "该人员已在院"
call 3301 431199 '{"catalogcompin":['"$(map L1 灸法 201 004400000010100)"']}'
expect_ok "3301 maps L1, the inpatient line's local code"
call 2301 431199 '{"feedetail":[{"feedetl_sn":"1","mdtrt_id":"'$IPT'","psn_no":"'$PSN3'","med_type":"21",
  "fee_ocur_time":"2024-03-02 10:00:00","med_list_codg":"004400000010100","medins_list_codg":"L1",
  "det_item_fee_sumamt":1500.00,"cnt":3,"pric":500}]}'
expect_ok "2301 inpatient fee line"
IPT_SETTLE='{"data":{"psn_no":"'$PSN3'","mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT3'","medfee_sumamt":1500.00,
  "psn_setlway":"01","mdtrt_id":"'$IPT'","insutype":"310","acct_used_flag":"0","mid_setl_flag":"0"}}'
call 2304 431199 "$IPT_SETTLE"
expect_fail "2304 before discharge is refused" "未办理出院"
call 2402 431199 '{"dscginfo":{"mdtrt_id":"'$IPT'","psn_no":"'$PSN3'","insutype":"310","endtime":"2024-03-05 10:00:00",
  "dise_codg":"J18.900","dise_name":"肺炎","dscg_way":"1"}}'
expect_ok "2402 discharge"
call 2304 431199 "$IPT_SETTLE"
expect_ok "2304 inpatient settlement"
expect_field "2304 deductible (Hunan inpatient: 1000.00)" act_pay_dedc "1000.00"
expect_field "2304 pool pays 85% of 500.00" hifp_pay "425.00"
expect_field "2304 cash (no account used)" psn_cash_pay "1075.00"
IPT_SETL=$(field setl_id)
call 4101 431199 '{"setlinfo":{"mdtrt_id":"'$IPT'","setl_id":"'$IPT_SETL'","psn_name":"测试丙"},"payinfo":[],"diseinfo":[],"iteminfo":[]}'
expect_ok "4101 settlement list of a known settlement"
call 4101 431199 '{"setlinfo":{"setl_id":"430000000000000000000000000000"}}'
expect_fail "4101 of an unknown settlement is refused" "结算信息不存在"
call 5203 431199 '{"data":{"psn_no":"'$PSN3'","setl_id":"'$IPT_SETL'","mdtrt_id":"'$IPT'"}}'
expect_field "5203 finds the settlement" fund_pay_sumamt "425.00"
call 2404 431199 '{"data":{"mdtrt_id":"'$IPT'","psn_no":"'$PSN3'"}}'
expect_fail "2404 of a settled stay is refused" "该就诊已结算"
call 2305 431199 '{"data":{"psn_no":"'$PSN3'","mdtrt_id":"'$IPT'","setl_id":"'$IPT_SETL'"}}'
expect_ok "2305 inpatient settlement revoke"

URL=$URL_GX
call 9002 "" '{"signOut":{"sign_no":"'$SIGN'","opter_no":"001"}}'
expect_ok "9002 sign-out"
call 1101 "" '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"'$CERT'"}}'
expect_fail "after 9002 the sign_no is no longer valid" "签到编号无效"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
