#!/bin/bash
# sim_filing.sh - the simulator's platforms on their own ports, and filings
# (备案, issue 5). Against the simulator alone (no gateway), posting straight
# to the platforms' ports (conf/sim.conf: Guangxi 9900, Hunan 9901, Zhejiang
# 9902, national 9903, moved to this test's ports), with conf/sim.conf's
# `require_filing cross-province`:
#
#   - one sign-in at the Guangxi port is valid at every platform;
#   - 测试丙 (insured 431199, Hunan) registering (2201) at the Hunan port for
#     treatment in 450199 is refused for want of a filing, also when the
#     envelope leaves insuplc_admdvs empty (the platform knows the person);
#   - 2501 at the Hunan port answers a trt_dcla_detl_sn starting with 430000;
#     2201 then passes, but not on a date outside the filing's dates;
#   - 2502 revokes it; 2201 is refused again; a second 2502, an unknown sn,
#     another person's psn_no and another platform's port are refused,
#     naming the sn;
#   - 2501 for a Hunan person at the Guangxi port is refused (the insured
#     place files), and so is 2201 there (Guangxi holds no filing for him);
#   - a local visit (both 450199) at the Guangxi port needs no filing, nor
#     does an off-site one in the same province (450101);
#   - 测试丁 (insured 330199, Zhejiang) files at the Zhejiang port for all of
#     Guangxi (450000) and registers there; a Hunan filing does not count at
#     Zhejiang;
#   - bad 2501 input (enddate before begndate, a bad region, unknown person,
#     wrong insutype, the person's own insured place) is refused by name;
#   - a second simulator with `require_filing off-site` refuses the
#     in-province off-site visit, and `ybgw-sim -t` names a bad value;
#   - both simulators exit 0 on SIGTERM (no leak under AddressSanitizer).
#
# Every answer's inf_refmsgid is checked to start with the answering
# platform's region (45, 43, 33). The persons are SYNTHETIC
# (conf/sim/persons.tsv).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_need "$SIM"
e2e_init
e2e_ports
e2e_start_sim

GX="http://127.0.0.1:$SIM_PORT$SERVICE_PATH"
HN="http://127.0.0.1:$((SIM_PORT + 1))$SERVICE_PATH"
ZJ="http://127.0.0.1:$((SIM_PORT + 2))$SERVICE_PATH"
for p in 1 2 3; do
    e2e_wait_port $((SIM_PORT + p)) 5 || fail "the simulator listens on 127.0.0.1:$((SIM_PORT + p))"
done

FIX=H45019900055
HN_PSN=4311990000000003 # 测试丙, insured 431199
HN_CERT=431102197003030033
ZJ_PSN=3301990000000004 # 测试丁, insured 330199
ZJ_CERT=330106198803030044
GX_PSN=4501990000000001 # 测试甲, insured 450199
GX_CERT=450103199001010011
SIGN=""

# send URL INFNO MDTRTAREA INSUPLC INPUT_JSON: an envelope from the demo
# hospital with a fresh msgid and this test's sign_no; sets BODY, INFCODE,
# ERR, REF (inf_refmsgid)
send() {
    next_msgid
    local file="$E2E_TMP/req.$2.$MSGID.json"
    {
        printf '{"infno":"%s","msgid":"%s","mdtrtarea_admvs":"%s","insuplc_admdvs":"%s",' \
            "$2" "$MSGID" "$3" "$4"
        printf '"recer_sys_code":"SIMTEST","infver":"V1.0","opter_type":"1","opter":"001",'
        printf '"opter_name":"测试","inf_time":"%s","fixmedins_code":"%s","fixmedins_name":"演示医院",' \
            "$(date '+%Y-%m-%d %H:%M:%S')" "$FIX"
        printf '"sign_no":"%s","input":%s}' "$SIGN" "$5"
    } >"$file"
    post "$1" "$file"
    INFCODE=$(json_num "$BODY" infcode)
    ERR=$(json_str "$BODY" err_msg)
    REF=$(json_str "$BODY" inf_refmsgid)
}

# answered_by NAME REGION: the answer's inf_refmsgid starts with REGION
answered_by() {
    if [ "${REF:0:6}" = "$2" ] && [ ${#REF} -eq 30 ]; then
        ok "$1: answered by $2 ($REF)"
    else
        fail "$1: answered by $2" "inf_refmsgid '$REF'"
    fi
}

# accepted NAME REGION URL INFNO MDTRTAREA INSUPLC INPUT_JSON
accepted() {
    local name=$1 region=$2
    shift 2
    send "$@"
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = 0 ]; then
        ok "$name"
    else
        fail "$name" "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR"
    fi
    answered_by "$name" "$region"
}

# refused NAME REGION ERR_MSG URL INFNO MDTRTAREA INSUPLC INPUT_JSON: infcode
# -1 with exactly ERR_MSG
refused() {
    local name=$1 region=$2 want=$3
    shift 3
    send "$@"
    if [ "$STATUS" = 200 ] && [ "$INFCODE" = -1 ] && [ "$ERR" = "$want" ]; then
        ok "$name: $ERR"
    else
        fail "$name: refused with: $want" "HTTP $STATUS, infcode '$INFCODE', err_msg: $ERR"
    fi
    answered_by "$name" "$region"
}

# reg PSN CERT [BEGNTIME]: a 2201 input
SERIAL=0
reg() {
    SERIAL=$((SERIAL + 1))
    printf '{"data":{"psn_no":"%s","insutype":"310","begntime":"%s","mdtrt_cert_type":"02",' \
        "$1" "${3:-2024-03-01 09:00:00}"
    printf '"mdtrt_cert_no":"%s","ipt_otp_no":"MZF%04d","atddr_no":"D450199000001",' "$2" "$SERIAL"
    printf '"dr_name":"测试医生","dept_code":"A03","dept_name":"内科","caty":"A03"}}'
}

# filing PSN AREA BEGNDATE ENDDATE [INSUTYPE]: a 2501 input
filing() {
    printf '{"refmedin":{"psn_no":"%s","insutype":"%s","tel":"07710000000","addr":"合成测试地址",' \
        "$1" "${5:-310}"
    printf '"diag_code":"J18.900","diag_name":"肺炎","reflin_medins_no":"%s",' "$FIX"
    printf '"reflin_medins_name":"演示医院","mdtrtarea_admdvs":"%s","refl_date":"2024-01-01",' "$2"
    printf '"refl_rea":"合成测试","begndate":"%s","enddate":"%s"}}' "$3" "$4"
}

# revoke PSN SN: a 2502 input
revoke() {
    printf '{"data":{"psn_no":"%s","trt_dcla_detl_sn":"%s","memo":"合成测试撤销"}}' "$1" "$2"
}

no_filing() { # PSN INSURED AREA PLATFORM DATE
    printf '异地就医未备案: person %s (insured %s) has no active filing for treatment in %s; file it with 2501 first (platform %s has none for the visit date %s)' \
        "$1" "$2" "$3" "$4" "$5"
}

# ---- sign in once, at the Guangxi port ----

write_9001 "$E2E_TMP/9001.json"
post "$GX" "$E2E_TMP/9001.json"
SIGN=$(json_str "$BODY" sign_no)
REF=$(json_str "$BODY" inf_refmsgid)
check "9001 at the Guangxi port answers a sign_no starting 450000 ($SIGN)" [ "${SIGN:0:6}" = 450000 ]
answered_by "9001 at the Guangxi port" 450000

# ---- a Hunan person, treated in 450199, at the Hunan port ----

refused "2201 without a filing at the Hunan port" 430000 \
    "$(no_filing $HN_PSN 431199 450199 430000 2024-03-01)" \
    "$HN" 2201 450199 431199 "$(reg $HN_PSN $HN_CERT)"
refused "2201 without a filing, insuplc_admdvs left empty (the person's own is used)" 430000 \
    "$(no_filing $HN_PSN 431199 450199 430000 2024-03-01)" \
    "$HN" 2201 450199 "" "$(reg $HN_PSN $HN_CERT)"

accepted "2501 at the Hunan port" 430000 "$HN" 2501 450199 431199 \
    "$(filing $HN_PSN 450199 2024-01-01 2024-12-31)"
SN=$(json_str "$BODY" trt_dcla_detl_sn)
check "2501 answers a trt_dcla_detl_sn of 30 characters starting 430000 ($SN)" \
    [ "${SN:0:6}:${#SN}" = 430000:30 ]

accepted "2201 with the filing at the Hunan port" 430000 "$HN" 2201 450199 431199 \
    "$(reg $HN_PSN $HN_CERT)"
MDTRT=$(json_str "$BODY" mdtrt_id)
check "the Hunan platform opened the visit ($MDTRT)" [ "${MDTRT:0:6}" = 430000 ]
accepted "2201 on the filing's last day" 430000 "$HN" 2201 450199 431199 \
    "$(reg $HN_PSN $HN_CERT '2024-12-31 23:00:00')"
refused "2201 after the filing's enddate" 430000 \
    "$(no_filing $HN_PSN 431199 450199 430000 2025-01-01)" \
    "$HN" 2201 450199 431199 "$(reg $HN_PSN $HN_CERT '2025-01-01 08:00:00')"
refused "2201 for treatment in another place than the filing's (450101)" 430000 \
    "$(no_filing $HN_PSN 431199 450101 430000 2024-03-01)" \
    "$HN" 2201 450101 431199 "$(reg $HN_PSN $HN_CERT)"

# 2502: the wrong port, the wrong person, then revoke, then twice
refused "2502 of a Hunan filing at the Guangxi port" 450000 \
    "备案信息不存在: trt_dcla_detl_sn $SN is not a filing of this platform (450000)" \
    "$GX" 2502 450199 431199 "$(revoke $HN_PSN "$SN")"
refused "2502 naming another person" 430000 \
    "人员与备案信息不符: trt_dcla_detl_sn $SN is a filing of psn_no $HN_PSN, not $GX_PSN" \
    "$HN" 2502 450199 431199 "$(revoke $GX_PSN "$SN")"
accepted "2502 revokes the filing at the Hunan port" 430000 "$HN" 2502 450199 431199 \
    "$(revoke $HN_PSN "$SN")"
refused "2201 after the revoke" 430000 \
    "$(no_filing $HN_PSN 431199 450199 430000 2024-03-01)" \
    "$HN" 2201 450199 431199 "$(reg $HN_PSN $HN_CERT)"
send "$HN" 2502 450199 431199 "$(revoke $HN_PSN "$SN")"
case "$ERR" in
"备案已撤销: trt_dcla_detl_sn $SN was already revoked at "*) ok "a second 2502 is refused: $ERR" ;;
*) fail "a second 2502 is refused, naming the sn" "infcode '$INFCODE', err_msg: $ERR" ;;
esac
answered_by "the second 2502" 430000
refused "2502 of an unknown sn" 430000 \
    "备案信息不存在: trt_dcla_detl_sn 430000000000000000000000000000 is not a filing of this platform (430000)" \
    "$HN" 2502 450199 431199 "$(revoke $HN_PSN 430000000000000000000000000000)"

# ---- the Guangxi port: not the Hunan person's insured place ----

refused "2501 for a Hunan person at the Guangxi port" 450000 \
    "非参保地备案: person $HN_PSN is insured in 431199, which this platform (450000) does not serve; the insured place's platform takes the filing (2501)" \
    "$GX" 2501 450199 431199 "$(filing $HN_PSN 450199 2024-01-01 2024-12-31)"
refused "2201 of a Hunan person at the Guangxi port" 450000 \
    "异地就医未备案: person $HN_PSN (insured 431199) has no active filing for treatment in 450199; file it with 2501 first (this platform, 450000, does not serve 431199 and holds no filings for it: send the person's transactions to the insured place's platform)" \
    "$GX" 2201 450199 431199 "$(reg $HN_PSN $HN_CERT)"
accepted "a local visit (450199 / 450199) at the Guangxi port needs no filing" 450000 \
    "$GX" 2201 450199 450199 "$(reg $GX_PSN $GX_CERT)"
accepted "an off-site visit in the same province (450101 / 450199) needs none either" 450000 \
    "$GX" 2201 450101 450199 "$(reg $GX_PSN $GX_CERT)"

# ---- a Zhejiang person: a province-wide filing ----

refused "2201 of a Zhejiang person at the Zhejiang port, not filed" 330000 \
    "$(no_filing $ZJ_PSN 330199 450199 330000 2024-03-01)" \
    "$ZJ" 2201 450199 330199 "$(reg $ZJ_PSN $ZJ_CERT)"
accepted "2501 at the Zhejiang port for all of Guangxi (450000), open-ended" 330000 \
    "$ZJ" 2501 450199 330199 "$(filing $ZJ_PSN 450000 2024-01-01 '')"
SN_ZJ=$(json_str "$BODY" trt_dcla_detl_sn)
check "the Zhejiang filing's sn starts 330000 ($SN_ZJ)" [ "${SN_ZJ:0:6}" = 330000 ]
accepted "2201 in 450199 under the province-wide filing" 330000 "$ZJ" 2201 450199 330199 \
    "$(reg $ZJ_PSN $ZJ_CERT '2030-06-01 10:00:00')"
refused "a Zhejiang filing does not cover treatment in Hunan (431199)" 330000 \
    "$(no_filing $ZJ_PSN 330199 431199 330000 2024-03-01)" \
    "$ZJ" 2201 431199 330199 "$(reg $ZJ_PSN $ZJ_CERT)"

# ---- 2501 input ----

refused "2501 with enddate before begndate" 430000 \
    "日期错误: input.refmedin.enddate 2024-01-01 is before begndate 2024-03-01" \
    "$HN" 2501 450199 431199 "$(filing $HN_PSN 450199 2024-03-01 2024-01-01)"
refused "2501 with a bad date" 430000 \
    "日期格式错误: input.refmedin.begndate \"2024-02-30\" is not a date (yyyy-MM-dd)" \
    "$HN" 2501 450199 431199 "$(filing $HN_PSN 450199 2024-02-30 2024-12-31)"
refused "2501 with a 4-digit region" 430000 \
    "区划代码错误: input.refmedin.mdtrtarea_admdvs \"4501\" is not a 6-digit region code" \
    "$HN" 2501 450199 431199 "$(filing $HN_PSN 4501 2024-01-01 2024-12-31)"
refused "2501 for the person's own insured place" 430000 \
    "备案就医地错误: input.refmedin.mdtrtarea_admdvs 431199 is the person's own insured place; a filing is for treatment elsewhere" \
    "$HN" 2501 450199 431199 "$(filing $HN_PSN 431199 2024-01-01 2024-12-31)"
refused "2501 with another insutype" 430000 \
    "险种不符: insutype 390, but person $HN_PSN is insured under 310" \
    "$HN" 2501 450199 431199 "$(filing $HN_PSN 450199 2024-01-01 2024-12-31 390)"
refused "2501 of an unknown person" 430000 \
    "人员信息不存在: psn_no \"4311990000009999\" is not an insured person" \
    "$HN" 2501 450199 431199 "$(filing 4311990000009999 450199 2024-01-01 2024-12-31)"

# ---- require_filing off-site, on a second simulator (Guangxi only) ----

{
    echo "database :memory:;"
    echo "persons $top_srcdir/conf/sim/persons.tsv;"
    echo "require_filing off-site;"
    echo "access_log on;"
    sed -n '/^policy 45 310 {/,/^}/p' "$top_srcdir/conf/sim.conf"
    echo "platform guangxi { region 450000; serves 45; listen 127.0.0.1:$SPARE_PORT; }"
} >"$E2E_TMP/offsite.conf"
(cd "$E2E_TMP" && exec "$SIM" -c "$E2E_TMP/offsite.conf") >"$E2E_TMP/sim_offsite.log" 2>&1 &
OFFSITE_PID=$!
E2E_PIDS+=("$OFFSITE_PID")
if e2e_wait_port "$SPARE_PORT" 10; then
    OS="http://127.0.0.1:$SPARE_PORT$SERVICE_PATH"
    write_9001 "$E2E_TMP/9001b.json"
    post "$OS" "$E2E_TMP/9001b.json"
    SIGN=$(json_str "$BODY" sign_no)
    refused "off-site: 2201 in 450101 of a person insured in 450199 needs a filing" 450000 \
        "$(no_filing $GX_PSN 450199 450101 450000 2024-03-01)" \
        "$OS" 2201 450101 450199 "$(reg $GX_PSN $GX_CERT)"
    accepted "off-site: 2501 at Guangxi for Nanning city (450100)" 450000 "$OS" 2501 450199 450199 \
        "$(filing $GX_PSN 450100 2024-01-01 2024-12-31)"
    accepted "off-site: 2201 in 450101 with the city-wide filing" 450000 "$OS" 2201 450101 450199 \
        "$(reg $GX_PSN $GX_CERT)"
    accepted "off-site: a local visit needs none" 450000 "$OS" 2201 450199 450199 \
        "$(reg $GX_PSN $GX_CERT)"
else
    fail "a second simulator (require_filing off-site) listens on 127.0.0.1:$SPARE_PORT"
fi

sed 's|^require_filing off-site;|require_filing sideways;|' "$E2E_TMP/offsite.conf" >"$E2E_TMP/bad.conf"
out=$("$SIM" -t -c "$E2E_TMP/bad.conf" 2>&1)
rc=$?
check "ybgw-sim -t refuses require_filing sideways (exit $rc)" [ "$rc" -ne 0 ]
case "$out" in
*"bad.conf:3: \"require_filing\" takes one of off, cross-province, off-site, got \"sideways\""*)
    ok "and names the file, line and the choices" ;;
*) fail "ybgw-sim -t names the bad require_filing" "$out" ;;
esac

# both simulators stop cleanly on SIGTERM (under AddressSanitizer a leak
# would make the exit status non-zero)
for pid in "$SIM_PID" "$OFFSITE_PID"; do
    kill -TERM "$pid" 2>/dev/null
    e2e_wait_exit "$pid"
    check "the simulator $pid exits 0 on SIGTERM (got '$E2E_EXIT')" [ "$E2E_EXIT" = 0 ]
done

e2e_finish
