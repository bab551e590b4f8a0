#!/bin/bash
# xml_visit.sh - the outpatient visit sent as XML, as older HIS do: once in
# UTF-8 and once in GBK. The gateway must answer XML (root <response>) in
# the caller's encoding, and Chinese text must survive the GBK round trip:
# 测试甲 goes out as GBK bytes and comes back as GBK bytes that decode to
# 测试甲.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
command -v iconv >/dev/null 2>&1 || skip "iconv is not installed"
e2e_init
e2e_ports
e2e_start_all

# ---- the whole visit, both encodings (the script checks psn_name 测试甲) ----
for enc in UTF-8 GBK; do
    out="$E2E_TMP/visit-$enc.txt"
    visit "$VISITS/outpatient.json" --xml --encoding "$enc" >"$out" 2>&1
    rc=$?
    cat "$out"
    check "the outpatient visit as XML in $enc exits 0" [ "$rc" -eq 0 ]
done
json="$E2E_TMP/visit-gbk.json"
visit "$VISITS/outpatient.json" --xml --encoding GBK --json >"$json" 2>&1
steps=$(grep -c '"step":' "$json")
routed=$(grep '"step":' "$json" | grep -c '"route":"guangxi"')
if [ "$steps" -ge 10 ] && [ "$routed" -eq "$steps" ]; then
    ok "every XML answer carries X-Ybgw-Route: guangxi ($steps steps)"
else
    fail "every XML answer carries X-Ybgw-Route: guangxi ($routed of $steps)" "$(head -c 1500 "$json")"
fi

# ---- the bytes themselves: a 1101 in GBK, by hand ----
write_9001 "$E2E_TMP/9001.json"
sign_no=$("$CTL" send --field output.signinoutb.sign_no "$E2E_TMP/9001.json")
check "sign-in for the hand-made XML gave a sign_no" [ -n "$sign_no" ]

now=$(date '+%Y-%m-%d %H:%M:%S')
next_msgid
cat >"$E2E_TMP/1101.utf8.xml" <<XML
<?xml version="1.0" encoding="GBK"?>
<request><infno>1101</infno><msgid>$MSGID</msgid><mdtrtarea_admvs>450199</mdtrtarea_admvs><insuplc_admdvs></insuplc_admdvs><recer_sys_code>YBGW</recer_sys_code><dev_no></dev_no><dev_safe_info></dev_safe_info><cainfo></cainfo><signtype></signtype><infver>V1.0</infver><opter_type>1</opter_type><opter>0001</opter><opter_name>收费员甲</opter_name><inf_time>$now</inf_time><fixmedins_code>H45019900055</fixmedins_code><fixmedins_name>演示医院</fixmedins_name><sign_no>$sign_no</sign_no><input><data><mdtrt_cert_type>02</mdtrt_cert_type><mdtrt_cert_no>450103199001010011</mdtrt_cert_no><card_sn></card_sn><begntime>$now</begntime><psn_cert_type>01</psn_cert_type><certno>450103199001010011</certno><psn_name>测试甲</psn_name></data></input></request>
XML
iconv -f UTF-8 -t GBK "$E2E_TMP/1101.utf8.xml" >"$E2E_TMP/1101.gbk.xml"
post "$GW_URL" "$E2E_TMP/1101.gbk.xml" "application/xml; charset=GBK"
answer=$BODY
check "the GBK 1101 gets HTTP 200 (got $STATUS)" [ "$STATUS" = 200 ]
check "the answer declares encoding GBK" grep -qi '<?xml[^>]*encoding="GBK"' "$answer"
check "the answer's root is <response>" grep -q '<response>' "$answer"
if grep -q '测试甲' "$answer"; then
    fail "the answer's bytes are GBK, not UTF-8" "$(head -c 600 "$answer")"
else
    ok "the answer's bytes are GBK, not UTF-8"
fi
if iconv -f GBK -t UTF-8 "$answer" >"$E2E_TMP/answer.utf8.xml" 2>/dev/null; then
    ok "the answer is valid GBK"
else
    fail "the answer is valid GBK" "$(head -c 600 "$answer")"
fi
check "infcode 0 in the GBK answer" grep -q '<infcode>0</infcode>' "$E2E_TMP/answer.utf8.xml"
if grep -q '<psn_name>测试甲</psn_name>' "$E2E_TMP/answer.utf8.xml"; then
    ok "psn_name 测试甲 survives the GBK round trip"
else
    fail "psn_name 测试甲 survives the GBK round trip" "$(head -c 1500 "$E2E_TMP/answer.utf8.xml")"
fi

# ---- a rejection in XML is XML, in the caller's encoding ----
sed -e 's|<infno>1101</infno>|<infno>9999</infno>|' "$E2E_TMP/1101.gbk.xml" >"$E2E_TMP/bad.gbk.xml"
post "$GW_URL" "$E2E_TMP/bad.gbk.xml" "application/xml; charset=GBK"
iconv -f GBK -t UTF-8 "$BODY" >"$E2E_TMP/bad.utf8.xml" 2>/dev/null
check "an unknown infno in XML gets <infcode>-1</infcode>" \
    grep -q '<infcode>-1</infcode>' "$E2E_TMP/bad.utf8.xml"
check "and an err_msg naming infno 9999" grep -q '<err_msg>infno: "9999"' "$E2E_TMP/bad.utf8.xml"

e2e_finish
