#!/bin/bash
# gray_principal.sh - the diag plugin's rule "a gray code (灰码) may not be
# the principal diagnosis", end to end: a diagnosis table with a gray code is
# imported with `ybgwctl code import diag`, the gateway loads the diag plugin
# on it, and a 2401 (入院办理) whose principal diagnosis (maindiag_flag 1, or
# mdtrtinfo.dscg_maindiag_code) is gray is refused with infcode -1 and an
# err_msg naming the field, while the same code as a secondary diagnosis
# goes through to the platform.
#
# The table is SYNTHETIC: A00.000 and A09.900 have real shapes (the spec's
# examples), but which of them is gray, and the names, are made up here.

. "$(dirname "$0")/lib.sh"

DIAG_SO="$top_builddir/plugins/.libs/diag.so"
e2e_need "$YBGW" "$SIM" "$CTL"
[ -f "$DIAG_SO" ] || skip "the diag plugin is not built ($DIAG_SO)"
e2e_init
e2e_ports

DB="$E2E_TMP/codes.db"
DATA="$top_srcdir/codesets"
UPSTREAM_COUNT='ybgw_upstream_duration_seconds_count{upstream="guangxi"'

# ---- the table: imported as an official (non-sample) version ----
cat >"$E2E_TMP/diag.csv" <<'CSV'
诊断代码,诊断名称,灰码
A00.000,synthetic diagnosis,否
A09.900,synthetic gray diagnosis,是
CSV
if "$CTL" code import diag "$E2E_TMP/diag.csv" --db "$DB" --data-dir "$DATA" \
    --version synthetic >"$E2E_TMP/import.out" 2>&1; then
    ok "import of the synthetic diagnosis table: $(cat "$E2E_TMP/import.out" | head -n 1)"
else
    fail "import of the synthetic diagnosis table" "$(cat "$E2E_TMP/import.out")"
    e2e_finish
fi

# ---- the gateway: admdvs and diag only, on this test's database ----
e2e_gateway_conf "$E2E_TMP/base.conf"
awk '/^plugin[ \t]/ { if ($0 ~ /\}[ \t]*(#.*)?$/) next; skip = 1; next }
     skip { if ($0 ~ /^\}/) skip = 0; next }
     /^[ \t]*code_tables[ \t]/ { next }
     { print }' "$E2E_TMP/base.conf" >"$E2E_TMP/ybgw.conf"
cat >>"$E2E_TMP/ybgw.conf" <<CONF
code_tables $DB;
default_upstream guangxi;           # no offsite plugin here to route
plugin admdvs {
    provinces admdvs/provinces.tsv;
    table admdvs/admdvs.tsv;
    membership warn;
}
plugin diag {
}
CONF
check "the test configuration loads (ybgw -t)" "$YBGW" -t -c "$E2E_TMP/ybgw.conf"
e2e_start_sim
e2e_start_gateway "$E2E_TMP/ybgw.conf"

# write_2401 FILE MAIN_CODE PRINCIPAL_CODE SECONDARY_CODE: an admission whose
# mdtrtinfo.dscg_maindiag_code is MAIN_CODE and whose diseinfo lists
# SECONDARY_CODE (maindiag_flag 0) then PRINCIPAL_CODE (maindiag_flag 1).
write_2401() {
    local now
    now=$(date '+%Y-%m-%d %H:%M:%S')
    next_msgid
    cat >"$1" <<JSON
{"infno":"2401","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"450199","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0002","opter_name":"住院处乙","inf_time":"$now","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"",
 "input":{"mdtrtinfo":{"psn_no":"4501990000000002","insutype":"390","begntime":"$now","mdtrt_cert_type":"02","mdtrt_cert_no":"450103198505050022","med_type":"21","ipt_no":"ZY${MSGID:12}","atddr_no":"D450199000001","chfpdr_name":"医生甲","adm_dept_codg":"A03","adm_dept_name":"内科","dscg_maindiag_code":"$2","dscg_maindiag_name":"synthetic"},
 "diseinfo":[
  {"psn_no":"4501990000000002","diag_type":"1","maindiag_flag":"0","diag_srt_no":1,"diag_code":"$4","diag_name":"synthetic","diag_dept":"内科","dise_dor_no":"D450199000001","dise_dor_name":"医生甲","diag_time":"$now"},
  {"psn_no":"4501990000000002","diag_type":"1","maindiag_flag":"1","diag_srt_no":2,"diag_code":"$3","diag_name":"synthetic","diag_dept":"内科","dise_dor_no":"D450199000001","dise_dor_name":"医生甲","diag_time":"$now"}]}}
JSON
}

# ---- a gray principal diagnosis in diseinfo: refused at the gateway ----
before=$(metric "$UPSTREAM_COUNT")
write_2401 "$E2E_TMP/gray.json" A00.000 A09.900 A00.000
post "$GW_URL" "$E2E_TMP/gray.json"
err=$(json_str "$BODY" err_msg)
check "gray principal: HTTP 200 (got $STATUS)" [ "$STATUS" = 200 ]
check "gray principal: infcode -1 (got $(json_num "$BODY" infcode))" \
    [ "$(json_num "$BODY" infcode)" = "-1" ]
case "$err" in
*'diseinfo[1].diag_code'*'A09.900'*'灰码'*'principal diagnosis'*'[codeset.icd10yb]'*)
    ok "gray principal: err_msg names diseinfo[1].diag_code, the code and the rule" ;;
*) fail "gray principal: err_msg names diseinfo[1].diag_code, the code and the rule" "$err" ;;
esac
after=$(metric "$UPSTREAM_COUNT")
check "gray principal: nothing reached the platform ($before -> $after)" [ "$after" = "$before" ]

# ---- the admission's own principal field: refused too ----
write_2401 "$E2E_TMP/gray_main.json" A09.900 A00.000 A00.000
post "$GW_URL" "$E2E_TMP/gray_main.json"
err=$(json_str "$BODY" err_msg)
case "$err" in
*'mdtrtinfo.dscg_maindiag_code'*'灰码'*)
    ok "gray dscg_maindiag_code: refused, err_msg names mdtrtinfo.dscg_maindiag_code" ;;
*) fail "gray dscg_maindiag_code: refused, err_msg names mdtrtinfo.dscg_maindiag_code" "$err" ;;
esac

# ---- the same code as a secondary diagnosis: forwarded ----
before=$(metric "$UPSTREAM_COUNT")
write_2401 "$E2E_TMP/secondary.json" A00.000 A00.000 A09.900
post "$GW_URL" "$E2E_TMP/secondary.json"
err=$(json_str "$BODY" err_msg)
check "gray secondary: HTTP 200 (got $STATUS)" [ "$STATUS" = 200 ]
case "$err" in
*'灰码'*) fail "gray secondary: no gray finding" "$err" ;;
*) ok "gray secondary: no gray finding" ;;
esac
after=$(metric "$UPSTREAM_COUNT")
check "gray secondary: the message reached the platform ($before -> $after)" \
    [ "$after" -gt "$before" ]

check "the gateway still answers /livez" e2e_wait_url "$ADMIN_URL/livez" 5 200
e2e_finish
