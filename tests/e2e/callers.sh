#!/bin/bash
# callers.sh - who may call the gateway, end to end. A test CA, a server
# certificate and two client certificates are made with the openssl CLI; the
# gateway serves HIS over TLS (verify_client optional) with caller_auth on
# and three callers: his-a by client certificate (mutual TLS, rate 2/s burst
# 4), his-b by HMAC secret, and relay-gw (a second gateway) by HMAC secret.
#
# Checked: his-a's 9001 and 1101 are answered by the simulator; a client
# certificate of the same CA that no caller has, and no certificate at all,
# get HTTP 401 and an envelope naming the reason; a certificate of another
# CA fails the handshake; plain HTTP to the TLS port gets no answer; his-b
# signs with `ybgwctl send --caller --secret-file` and is answered, but not
# for another institution nor with another institution's msgid; his-a over
# its rate gets 429 with Retry-After and a metric, then is served again;
# none of the refused requests reached the platform. A second gateway uses
# the first as its https:// upstream with ca_file (answered through both),
# and a third one with a wrong CA and tls_verify at its default gets an
# error naming the certificate problem. A reload that changes the tls block
# keeps the running TLS settings. No secret appears in any log or in
# /metrics, and `ybgw -t` refuses readable secret and key files with
# file:line.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM" "$CTL"
command -v openssl >/dev/null 2>&1 || skip "the openssl command is not installed"
e2e_init
e2e_ports 4
GW2_PORT=${EXTRA_PORTS[0]}
GW2_ADMIN=${EXTRA_PORTS[1]}
GW3_PORT=${EXTRA_PORTS[2]}
GW3_ADMIN=${EXTRA_PORTS[3]}
TLS_URL="https://127.0.0.1:$GW_PORT$SERVICE_PATH"
PKI="$E2E_TMP/pki"
mkdir -p "$PKI"

# ---- a test PKI (P-256, valid two days) ----

# new_key NAME: an EC key of mode 0600
new_key() {
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$PKI/$1.key" 2>/dev/null)
}

# new_ca NAME: a self-signed CA
new_ca() {
    new_key "$1" &&
        openssl req -x509 -new -key "$PKI/$1.key" -out "$PKI/$1.crt" -days 2 \
            -subj "/CN=ybgw test $1" -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# new_cert NAME CA EXT: a certificate for NAME issued by CA with extensions EXT
new_cert() {
    new_key "$1" &&
        openssl req -new -key "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$1" 2>/dev/null &&
        printf '%s\n' "$3" >"$PKI/$1.ext" &&
        openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/$2.crt" -CAkey "$PKI/$2.key" \
            -CAcreateserial -out "$PKI/$1.crt" -days 2 -extfile "$PKI/$1.ext" 2>/dev/null
}

if ! { new_ca ca && new_ca other-ca &&
    new_cert server ca 'subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth' &&
    new_cert his-a ca 'extendedKeyUsage=clientAuth' &&
    new_cert stranger ca 'extendedKeyUsage=clientAuth' &&
    new_cert outsider other-ca 'extendedKeyUsage=clientAuth'; }; then
    fail "the openssl CLI makes the test CA and certificates"
    e2e_finish
fi
FP_A=$(openssl x509 -noout -fingerprint -sha256 -in "$PKI/his-a.crt" | sed 's/.*=//')
FP_STRANGER=$(openssl x509 -noout -fingerprint -sha256 -in "$PKI/stranger.crt" | sed 's/.*=//')
check "his-a's fingerprint is 32 bytes in colon form ($FP_A)" [ ${#FP_A} -eq 95 ]

e2e_secret his-b
e2e_secret relay-gw
SECRET_B=$(cat "$E2E_TMP/his-b.key")
SECRET_RELAY=$(cat "$E2E_TMP/relay-gw.key")

# ---- the gateway: TLS, caller_auth, three callers ----

conf="$E2E_TMP/ybgw.conf"
e2e_gateway_conf "$conf"
cat >>"$conf" <<CONF

# callers.sh
caller_auth on;
tls {
    certificate pki/server.crt;
    key pki/server.key;
    client_ca pki/ca.crt;
    verify_client optional;
}
caller his-a {
    certificate $FP_A;
    institutions H45019900055;
    rate 2/s burst 4;
}
caller his-b {
    secret_file his-b.key;
    institutions H45019900055;
}
caller relay-gw {
    secret_file relay-gw.key;
    institutions H45*;
}
CONF
if ! "$YBGW" -t -c "$conf" >"$E2E_TMP/check.log" 2>&1; then
    fail "ybgw -t accepts the TLS configuration" "$(cat "$E2E_TMP/check.log")"
    e2e_finish
fi
e2e_start_sim
e2e_start_gateway "$conf"

# tls_post FILE [CURL ARGS...]: POST FILE to the TLS listener, trusting the
# test CA; sets STATUS, BODY and HEADERS (files).
tls_post() {
    local file=$1
    shift
    BODY="$E2E_TMP/body.$RANDOM"
    HEADERS="$BODY.h"
    STATUS=$(curl -s --noproxy '*' -m 10 --cacert "$PKI/ca.crt" "$@" -D "$HEADERS" -o "$BODY" \
        -w '%{http_code}' -H 'Content-Type: application/json' -H 'Expect:' \
        --data-binary "@$file" "$TLS_URL" 2>/dev/null)
    [ -n "$STATUS" ] || STATUS=000
}
AS_A=(--cert "$PKI/his-a.crt" --key "$PKI/his-a.key")

# one_1101 FILE SIGN_NO: a 1101 for the simulator's person, by identity card
one_1101() {
    next_msgid
    cat >"$1" <<JSON
{"infno":"1101","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"$2","input":{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"450103199001010011","card_sn":"","begntime":"$(date '+%Y-%m-%d %H:%M:%S')","psn_cert_type":"01","certno":"450103199001010011","psn_name":"测试甲"}}}
JSON
}

upstream_calls() {
    metric 'ybgw_upstream_duration_seconds_count{upstream="guangxi"'
}

# ---- his-a: mutual TLS ----

write_9001 "$E2E_TMP/9001a.json"
tls_post "$E2E_TMP/9001a.json" "${AS_A[@]}"
SIGN_NO=$(sed -n 's/.*"sign_no":"\([^"]*\)".*/\1/p' "$BODY" | head -n 1)
if [ "$STATUS" = 200 ] && [ "$(json_num "$BODY" infcode)" = 0 ] && [ -n "$SIGN_NO" ]; then
    ok "his-a's 9001 over mutual TLS is answered (sign_no $SIGN_NO)"
else
    fail "his-a's 9001 over mutual TLS is answered" "HTTP $STATUS $(head -c 600 "$BODY")"
fi
one_1101 "$E2E_TMP/1101a.json" "$SIGN_NO"
tls_post "$E2E_TMP/1101a.json" "${AS_A[@]}"
ref=$(json_str "$BODY" inf_refmsgid)
if [ "$STATUS" = 200 ] && [ "$(json_num "$BODY" infcode)" = 0 ] && [ "${ref:0:6}" = 450000 ]; then
    ok "his-a's 1101 is answered by the simulated Guangxi platform (inf_refmsgid $ref)"
else
    fail "his-a's 1101 is answered by the simulator" "HTTP $STATUS $(head -c 600 "$BODY")"
fi

before=$(upstream_calls)

# ---- refused at the door ----

write_9001 "$E2E_TMP/9001s.json"
tls_post "$E2E_TMP/9001s.json" --cert "$PKI/stranger.crt" --key "$PKI/stranger.key"
err=$(json_str "$BODY" err_msg)
case "$STATUS:$(json_num "$BODY" infcode):$err" in
"401:-1:the TLS client certificate (SHA-256 $FP_STRANGER) is not configured for any caller"*"[auth]")
    ok "a certificate of the same CA that no caller has: 401, $err" ;;
*) fail "a certificate no caller has is refused with 401" "HTTP $STATUS $(head -c 600 "$BODY")" ;;
esac

tls_post "$E2E_TMP/9001s.json"
err=$(json_str "$BODY" err_msg)
case "$STATUS:$(json_num "$BODY" infcode):$err" in
"401:-1:"*"no client certificate and the request has no X-Ybgw-Caller"*"[auth]")
    ok "no client certificate and no signature: 401, $err" ;;
*) fail "no client certificate is refused with 401" "HTTP $STATUS $(head -c 600 "$BODY")" ;;
esac

tls_post "$E2E_TMP/9001s.json" --cert "$PKI/outsider.crt" --key "$PKI/outsider.key"
check "a certificate of another CA fails the handshake (HTTP $STATUS)" [ "$STATUS" = 000 ]

code=$(curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$E2E_TMP/9001s.json" "http://127.0.0.1:$GW_PORT$SERVICE_PATH" 2>/dev/null)
check "plain HTTP to the TLS port gets no HTTP answer (got ${code:-none})" [ "${code:-000}" = 000 ]

# ---- his-b: HMAC signing with ybgwctl ----

CRED_B=(--url "$TLS_URL" --cacert "$PKI/ca.crt" --caller his-b --secret-file "$E2E_TMP/his-b.key")
write_9001 "$E2E_TMP/9001b.json"
"$CTL" send "${CRED_B[@]}" "$E2E_TMP/9001b.json" >"$E2E_TMP/b.out" 2>&1
rc=$?
check "his-b's signed 9001 (ybgwctl send --caller --secret-file) is answered (exit $rc)" \
    [ "$rc" -eq 0 ]

next_msgid H45019900099
sed -e "s/\"msgid\":\"[^\"]*\"/\"msgid\":\"$MSGID\"/" \
    -e 's/"fixmedins_code":"H45019900055"/"fixmedins_code":"H45019900099"/' \
    "$E2E_TMP/9001b.json" >"$E2E_TMP/other.json"
"$CTL" send "${CRED_B[@]}" --field err_msg "$E2E_TMP/other.json" >"$E2E_TMP/other.out" 2>&1
rc=$?
err=$(cat "$E2E_TMP/other.out")
case "$rc:$err" in
"1:fixmedins_code: "*"caller his-b may not send messages for institution \"H45019900099\""*)
    ok "his-b speaking for another institution is refused: $err" ;;
*) fail "his-b speaking for another institution is refused" "exit $rc: $err" ;;
esac

sed -e "s/\"msgid\":\"[^\"]*\"/\"msgid\":\"$MSGID\"/" "$E2E_TMP/9001b.json" >"$E2E_TMP/prefix.json"
"$CTL" send "${CRED_B[@]}" --field err_msg "$E2E_TMP/prefix.json" >"$E2E_TMP/prefix.out" 2>&1
rc=$?
err=$(cat "$E2E_TMP/prefix.out")
case "$rc:$err" in
"1:msgid: "*"does not start with the institution code H45019900055 of caller his-b"*)
    ok "a msgid of another institution is refused: $err" ;;
*) fail "a msgid of another institution is refused" "exit $rc: $err" ;;
esac

"$CTL" send --url "$TLS_URL" --cacert "$PKI/ca.crt" --caller his-b \
    --secret-file "$E2E_TMP/relay-gw.key" --field err_msg "$E2E_TMP/9001b.json" \
    >"$E2E_TMP/forged.out" 2>&1
err=$(cat "$E2E_TMP/forged.out")
check "his-b signing with another secret is refused ($err)" \
    grep -q 'X-Ybgw-Signature does not match' "$E2E_TMP/forged.out"

# ---- his-a's rate: 2/s, burst 4 ----

# ten requests from one curl, back to back on one connection: far quicker
# than the 2 a second the bucket refills
args=()
for i in $(seq 1 10); do
    write_9001 "$E2E_TMP/burst$i.json"
    [ "$i" -gt 1 ] && args+=(--next)
    args+=(--cacert "$PKI/ca.crt" "${AS_A[@]}" -D "$E2E_TMP/burst$i.h" -o "$E2E_TMP/burst$i.out"
        -w '%{http_code} ' -H 'Content-Type: application/json' -H 'Expect:'
        --data-binary "@$E2E_TMP/burst$i.json" "$TLS_URL")
done
codes=$(curl -s --noproxy '*' -m 30 "${args[@]}" 2>/dev/null)
limited=0
i=0
for code in $codes; do
    i=$((i + 1))
    if [ "$code" = 429 ]; then
        limited=1
        break
    fi
done
BODY="$E2E_TMP/burst$i.out"
HEADERS="$E2E_TMP/burst$i.h"
err=$(json_str "$BODY" err_msg)
retry=$(sed -n 's/^Retry-After: *\([0-9]*\).*/\1/ip' "$HEADERS" | head -n 1)
case "$limited:$(json_num "$BODY" infcode):$err" in
"1:-1:caller his-a is over its rate limit of 2 requests per second (burst 4)"*"[auth]")
    ok "over its rate his-a gets 429 at request $i of ten quick ones ($codes): $err" ;;
*) fail "over its rate his-a gets 429" "HTTP codes $codes; $(head -c 600 "$BODY")" ;;
esac
check "the 429 carries Retry-After: $retry" [ "${retry:-0}" -ge 1 -a "${retry:-0}" -le 2 ]
n=$(metric 'ybgw_caller_limited_total{caller="his-a"}')
check "ybgw_caller_limited_total{caller=\"his-a\"} counts it ($n)" [ "$n" -ge 1 ]

served=$(printf '%s\n' $codes | grep -c '^200$')
after=$(upstream_calls)
check "no refused request reached the platform (upstream calls $before -> $after: his-b's 9001 and his-a's $served served)" \
    [ "$after" -eq $((before + 1 + served)) ]

sleep "${retry:-1}.2"
write_9001 "$E2E_TMP/again.json"
"$CTL" send --url "$TLS_URL" --cacert "$PKI/ca.crt" --cert "$PKI/his-a.crt" --key "$PKI/his-a.key" \
    "$E2E_TMP/again.json" >"$E2E_TMP/again.out" 2>&1
rc=$?
check "after Retry-After his-a is served again (ybgwctl send --cert --key --cacert, exit $rc)" \
    [ "$rc" -eq 0 ]

for sub in send visit; do
    help=$("$CTL" "$sub" --help)
    check "ybgwctl $sub --help names --caller, --secret-file, --cert, --key and --cacert" \
        sh -c 'for o in --caller --secret-file --cert --key --cacert; do
                   printf "%s" "$1" | grep -q -- "$o" || exit 1; done' sh "$help"
done

# ---- a second gateway with the first as its https upstream ----

# gateway_behind CONF PORT ADMIN NAME CA_FILE: conf/ybgw.conf on PORT/ADMIN,
# node NAME with a journal of its own, whose guangxi upstream is the first
# gateway over TLS, signing as relay-gw, trusting CA_FILE
gateway_behind() {
    local out=$1
    e2e_gateway_conf "$out.tmp" "$GW_PORT"
    sed -e "s|^\(\s*listen\s\+\)127\.0\.0\.1:$GW_PORT;|\1127.0.0.1:$2;|" \
        -e "s|^\(\s*admin_listen\s\+\)127\.0\.0\.1:$ADMIN_PORT;|\1127.0.0.1:$3;|" \
        -e "s|^\(\s*node_name\s\+\)[^;]*;|\1$4;|" \
        -e "s|^\(\s*path\s\+\)[^;]*journal\.db;|\1$E2E_TMP/$4.journal.db;|" \
        -e "s|http://127\.0\.0\.1:$GW_PORT/|https://127.0.0.1:$GW_PORT/|" \
        -e "s|^\(\s*health_check\s\+\)[^;]*;|\1off;|" \
        -e "s|^\(\s*\)sign none;.*|\1sign ybgw;\n\1access_key relay-gw;\n\1secret_file $E2E_TMP/relay-gw.key;\n\1ca_file $5;|" \
        "$out.tmp" >"$out"
    rm -f "$out.tmp"
}

# start_behind CONF ADMIN LOG: run a gateway in a directory of its own
start_behind() {
    mkdir -p "$E2E_TMP/$3.d"
    (cd "$E2E_TMP/$3.d" && exec "$YBGW" -c "$1") >"$E2E_TMP/$3.log" 2>&1 &
    E2E_PIDS+=("$!")
    if ! e2e_wait_url "http://127.0.0.1:$2/readyz" 10 200; then
        fail "the gateway of $(basename "$1") becomes ready"
        e2e_finish
    fi
}

gateway_behind "$E2E_TMP/gw2.conf" "$GW2_PORT" "$GW2_ADMIN" gw2 "$PKI/ca.crt"
start_behind "$E2E_TMP/gw2.conf" "$GW2_ADMIN" gw2
write_9001 "$E2E_TMP/9001r.json"
curl -s --noproxy '*' -m 20 -D "$E2E_TMP/r.h" -o "$E2E_TMP/r.json" -H 'Content-Type: application/json' \
    --data-binary "@$E2E_TMP/9001r.json" "http://127.0.0.1:$GW2_PORT$SERVICE_PATH"
hops=$(sed -n 's/^X-Ybgw-Hops: *\([^\r]*\).*/\1/ip' "$E2E_TMP/r.h" | head -n 1)
if [ "$(json_num "$E2E_TMP/r.json" infcode)" = 0 ] && [ "$hops" = "gw2, H45019900055" ]; then
    ok "through a second gateway over https with ca_file: answered via \"$hops\""
else
    fail "through a second gateway over https with ca_file" \
        "hops \"$hops\": $(head -c 600 "$E2E_TMP/r.json")"
fi

gateway_behind "$E2E_TMP/gw3.conf" "$GW3_PORT" "$GW3_ADMIN" gw3 "$PKI/other-ca.crt"
check "gw3 leaves tls_verify at its default" sh -c "! grep -q '^\s*tls_verify' '$E2E_TMP/gw3.conf'"
start_behind "$E2E_TMP/gw3.conf" "$GW3_ADMIN" gw3
post "http://127.0.0.1:$GW3_PORT$SERVICE_PATH" "$E2E_TMP/9001r.json"
err=$(json_str "$BODY" err_msg)
case "$(json_num "$BODY" infcode):$err" in
"-1:"*[Cc]ertificate*) ok "with a CA that did not issue the first gateway's certificate: $err" ;;
*) fail "a wrong CA fails with the certificate problem named" "$(head -c 600 "$BODY")" ;;
esac

# ---- a reload that changes the tls block keeps the running one ----

sed -i 's/^\(\s*verify_client\s\+\)optional;/\1on;/' "$conf"
kill -HUP "$GW_PID"
for i in $(seq 1 50); do
    grep -q 'the tls block changed' "$E2E_TMP/ybgw.log" && break
    sleep 0.1
done
check "a reload that changes the tls block says it waits for a restart" \
    grep -q 'the tls block changed in the file' "$E2E_TMP/ybgw.log"
tls_post "$E2E_TMP/9001s.json"
check "and the listener still lets a client without a certificate connect (HTTP $STATUS)" \
    [ "$STATUS" = 401 ]

# ---- secrets stay secret ----

curl -s --noproxy '*' -m 5 "$ADMIN_URL/metrics" >"$E2E_TMP/metrics.txt"
curl -s --noproxy '*' -m 5 "http://127.0.0.1:$GW2_ADMIN/metrics" >>"$E2E_TMP/metrics.txt"
key_line=$(sed -n 2p "$PKI/server.key")
for what in "his-b's secret:$SECRET_B" "relay-gw's secret:$SECRET_RELAY" \
    "the server key:$key_line"; do
    text=${what#*:}
    check "${what%%:*} is in no log and not in /metrics" \
        sh -c '! grep -qF -- "$1" "$2"/*.log "$2"/metrics.txt "$2"/*.out' sh "$text" "$E2E_TMP"
done

# ---- readable secrets and keys are refused with file:line ----

refused() { # refused WHAT CONF LINE_PATTERN
    if "$YBGW" -t -c "$2" >"$E2E_TMP/t.out" 2>&1; then
        fail "ybgw -t refuses $1"
    elif grep -q "$3" "$E2E_TMP/t.out" && grep -q 'chmod 600' "$E2E_TMP/t.out"; then
        ok "ybgw -t refuses $1: $(head -c 300 "$E2E_TMP/t.out")"
    else
        fail "ybgw -t refuses $1 with file:line" "$(cat "$E2E_TMP/t.out")"
    fi
}
cp "$E2E_TMP/his-b.key" "$E2E_TMP/open.key" && chmod 644 "$E2E_TMP/open.key"
sed "s|^\(\s*secret_file\s\+\)his-b\.key;|\1open.key;|" "$conf" >"$E2E_TMP/open-caller.conf"
line=$(grep -n 'open\.key' "$E2E_TMP/open-caller.conf" | cut -d: -f1)
refused "a caller's secret file of mode 0644" "$E2E_TMP/open-caller.conf" "open-caller.conf:$line:"
sed "s|^\(\s*secret_file\s\+\)$E2E_TMP/relay-gw\.key;|\1$E2E_TMP/open.key;|" "$E2E_TMP/gw2.conf" \
    >"$E2E_TMP/open-upstream.conf"
line=$(grep -n 'open\.key' "$E2E_TMP/open-upstream.conf" | cut -d: -f1)
refused "an upstream's secret file of mode 0644" "$E2E_TMP/open-upstream.conf" \
    "open-upstream.conf:$line:"
cp "$PKI/server.key" "$PKI/open-server.key" && chmod 644 "$PKI/open-server.key"
sed "s|^\(\s*key\s\+\)pki/server\.key;|\1pki/open-server.key;|" "$conf" >"$E2E_TMP/open-tls.conf"
line=$(grep -n 'open-server\.key' "$E2E_TMP/open-tls.conf" | cut -d: -f1)
refused "a TLS key of mode 0644" "$E2E_TMP/open-tls.conf" "open-tls.conf:$line:"

e2e_finish
