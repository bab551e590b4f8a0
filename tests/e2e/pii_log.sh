#!/bin/bash
# pii_log.sh - personal data stays out of the gateway's logs, and the access
# log is JSON. A 1101 with a real-looking certno, mdtrt_cert_no and name
# (found by the simulator, then one it does not know, then one the schema
# refuses) leaves none of them unmasked in the gateway's stderr, even at
# log_level debug; each transaction has one access line that parses as
# JSON with its infno, msgid, outcome and the platform's infcode. Then
# `access_log PATH` moves the lines to a file of their own, and a bad
# `personal_field` is refused by `ybgw -t` with file:line. The simulator's
# log masks the certno its err_msg quotes.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM"
e2e_init
e2e_ports
e2e_gateway_conf "$E2E_TMP/ybgw.conf"
sed -i -e 's|^log_level .*;|log_level debug;|' "$E2E_TMP/ybgw.conf"
e2e_start_all

# the synthetic person of conf/sim/persons.tsv
CERTNO=450103199001010011
NAME=测试甲
UNKNOWN=450103198807079876 # a well-formed number nobody has
LONG=45010319900101001145010319900101001145010319900101001199

# one_1101 FILE CERTNO NAME SIGN_NO: a 1101 by identity card
one_1101() {
    next_msgid
    cat >"$1" <<JSON
{"infno":"1101","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"$4","input":{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"$2","card_sn":"","begntime":"$(date '+%Y-%m-%d %H:%M:%S')","psn_cert_type":"01","certno":"$2","psn_name":"$3"}}}
JSON
}

write_9001 "$E2E_TMP/9001.json"
post "$GW_URL" "$E2E_TMP/9001.json"
SIGN_NO=$(sed -n 's/.*"sign_no":"\([^"]*\)".*/\1/p' "$BODY" | head -n 1)
check "the sign-in is answered with a sign_no ($SIGN_NO)" [ -n "$SIGN_NO" ]

one_1101 "$E2E_TMP/found.json" "$CERTNO" "$NAME" "$SIGN_NO"
FOUND_MSGID=$MSGID
post "$GW_URL" "$E2E_TMP/found.json"
check "the known person is found (infcode $(json_num "$BODY" infcode))" \
    [ "$(json_num "$BODY" infcode)" = 0 ]
check "the HIS gets the person's own data back unmasked" grep -q "\"certno\":\"$CERTNO\"" "$BODY"

one_1101 "$E2E_TMP/unknown.json" "$UNKNOWN" "测试乙" "$SIGN_NO"
UNKNOWN_MSGID=$MSGID
post "$GW_URL" "$E2E_TMP/unknown.json"
check "an unknown certno is the platform's error (infcode $(json_num "$BODY" infcode))" \
    [ "$(json_num "$BODY" infcode)" = -1 ]

one_1101 "$E2E_TMP/long.json" "$LONG" "测试丙" "$SIGN_NO"
post "$GW_URL" "$E2E_TMP/long.json"
err=$(json_str "$BODY" err_msg)
check "a certno longer than 50 is refused by the gateway ($(head -c 200 <<<"$err"))" \
    grep -q '^data\.certno: .*\[schema\]\|data\.mdtrt_cert_no: .*\[schema\]' <<<"$err"

# the answers are logged once the reply is written: give the last line a moment
for i in $(seq 1 20); do
    [ "$(grep -c '"log":"access"' "$E2E_TMP/ybgw.log")" -ge 4 ] && break
    sleep 0.1
done

LOG="$E2E_TMP/ybgw.log"
for secret in "$CERTNO" "$UNKNOWN" "$LONG" "$NAME" 测试乙 测试丙 199001010011 198807079876; do
    check "the gateway's stderr holds no \"$secret\"" sh -c "! grep -qF -- '$secret' '$LOG'"
done

# the simulator quotes the certno in its err_msg; its own log masks it too
check "the simulator's log masks the unknown certno" \
    sh -c "grep -qF '450103********9876' '$E2E_TMP/sim.log' && ! grep -qF '$UNKNOWN' '$E2E_TMP/sim.log'"

grep '^{' "$LOG" >"$E2E_TMP/access.jsonl"
n=$(grep -c '"log":"access"' "$E2E_TMP/access.jsonl")
check "one access line per transaction (4, got $n)" [ "$n" -eq 4 ]
if command -v jq >/dev/null 2>&1; then
    check "every access line parses as JSON" sh -c "jq -e . '$E2E_TMP/access.jsonl' >/dev/null"
    line=$(jq -c "select(.msgid == \"$FOUND_MSGID\")" "$E2E_TMP/access.jsonl")
    check "the found 1101's line: infno, outcome ok, infcode 0, fixmedins_code ($line)" \
        [ "$(jq -r '[.infno, .outcome, .infcode, .fixmedins_code, .http] | join(" ")' \
            <<<"$line")" = "1101 ok 0 H45019900055 200" ]
    line=$(jq -c "select(.msgid == \"$UNKNOWN_MSGID\")" "$E2E_TMP/access.jsonl")
    check "the unknown 1101's line: platform_error, infcode -1 ($line)" \
        [ "$(jq -r '[.outcome, .infcode] | join(" ")' <<<"$line")" = "platform_error -1" ]
    line=$(jq -c 'select(.outcome == "rejected")' "$E2E_TMP/access.jsonl")
    check "the refused 1101's line: rejected, no infcode, no calls ($line)" \
        [ "$(jq -r '[.infno, (.infcode | tostring), .calls] | join(" ")' <<<"$line")" = \
            "1101 null 0" ]
else
    line=$(grep -F "\"msgid\":\"$FOUND_MSGID\"" "$E2E_TMP/access.jsonl")
    check "the found 1101's line says ok and infcode 0 ($line)" \
        sh -c "grep -q '\"outcome\":\"ok\"' <<<'$line' && grep -q '\"infcode\":0}' <<<'$line'"
fi
check "no access line is in the old key=value form" sh -c "! grep -q ' access: infno=' '$LOG'"

# ---- the journal's stored (masked) texts: the fields, and err_msg's quotes ----
CTL_JOURNAL=("$CTL" journal show -c "$E2E_TMP/ybgw.conf")
if [ -x "$CTL" ]; then
    for i in $(seq 1 30); do
        "${CTL_JOURNAL[@]}" "$UNKNOWN_MSGID" >"$E2E_TMP/unknown.show" 2>&1 &&
            grep -q 'err_msg' "$E2E_TMP/unknown.show" && break
        sleep 0.2
    done
    "${CTL_JOURNAL[@]}" "$FOUND_MSGID" >"$E2E_TMP/found.show" 2>&1
    check "the journal keeps the found 1101 with its certno masked" \
        sh -c "grep -qF '450103********0011' '$E2E_TMP/found.show' &&
            ! grep -qF '$CERTNO' '$E2E_TMP/found.show' && ! grep -qF '$NAME' '$E2E_TMP/found.show'"
    check "the journal masks the certno the platform's err_msg quotes" \
        sh -c "grep -qF '450103********9876' '$E2E_TMP/unknown.show' &&
            ! grep -qF '$UNKNOWN' '$E2E_TMP/unknown.show'"
fi

# ---- access_log PATH: its own file, opened again on reload ----
sed -i -e "s|^access_log .*;|access_log $E2E_TMP/access.log;|" \
    -e "s|^log_level .*;|log_level info;|" "$E2E_TMP/ybgw.conf"
check "the configuration with access_log PATH checks" \
    sh -c "'$YBGW' -t -c '$E2E_TMP/ybgw.conf' >/dev/null 2>&1"
reloads=$(metric 'ybgw_reloads_total{result="ok"')
kill -HUP "$GW_PID"
for i in $(seq 1 50); do
    [ "$(metric 'ybgw_reloads_total{result="ok"')" -gt "$reloads" ] && break
    sleep 0.1
done
check "the reload took" [ "$(metric 'ybgw_reloads_total{result="ok"')" -gt "$reloads" ]
one_1101 "$E2E_TMP/after.json" "$CERTNO" "$NAME" "$SIGN_NO"
post "$GW_URL" "$E2E_TMP/after.json"
for i in $(seq 1 20); do
    [ -s "$E2E_TMP/access.log" ] && break
    sleep 0.1
done
check "after the reload the access line is in access.log" \
    grep -qF "\"msgid\":\"$MSGID\"" "$E2E_TMP/access.log"
check "... and not on stderr" sh -c "! grep -qF '\"msgid\":\"$MSGID\"' '$LOG'"
check "... and holds no certno" sh -c "! grep -qF '$CERTNO' '$E2E_TMP/access.log' '$LOG'"

# ---- personal_field in the configuration ----
cp "$E2E_TMP/ybgw.conf" "$E2E_TMP/pf.conf"
echo "personal_field psn_no id;" >>"$E2E_TMP/pf.conf"
check "personal_field psn_no id; is accepted" \
    sh -c "'$YBGW' -t -c '$E2E_TMP/pf.conf' >/dev/null 2>&1"
echo "personal_field certno hidden;" >>"$E2E_TMP/pf.conf"
lines=$(wc -l <"$E2E_TMP/pf.conf")
out=$("$YBGW" -t -c "$E2E_TMP/pf.conf" 2>&1)
check "a bad kind is refused with file:line ($out)" \
    grep -q "pf.conf:$lines: personal_field certno: the kind must be" <<<"$out"

e2e_finish
