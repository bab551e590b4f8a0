#!/bin/bash
# malformed.sh - the malformed-message corpus (tests/e2e/bad/cases.tsv):
# broken JSON and XML, hostile XML (DOCTYPE, entity bombs), wrong types,
# over-long and missing fields, bad msgids and region codes, unknown
# transactions, bad amounts, lists and enumerations, an oversized body, the
# wrong method and path, and a huge header. Each must get a platform-style
# rejection (infcode -1) with a precise err_msg and the right HTTP status;
# none may reach the upstream; and afterwards the gateway must still serve a
# good message and /livez.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW" "$SIM"
e2e_init
e2e_ports
e2e_start_all

BAD="$E2E_DIR/bad"
UPSTREAM_COUNT='ybgw_upstream_duration_seconds_count{upstream="guangxi"'

# answer_field FILE NAME: NAME from a JSON or an XML answer, unescaped.
answer_field() {
    local file=$1 name=$2 first
    first=$(head -c 64 "$file" | tr -d ' \t\r\n' | head -c 1)
    if [ "$first" = "<" ]; then
        iconv -f "$(xml_encoding "$file")" -t UTF-8 "$file" 2>/dev/null | tr -d '\n' |
            sed -n "s|.*<$name>\([^<]*\)</$name>.*|\1|p" |
            sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" \
                -e 's/&amp;/\&/g'
    elif [ "$name" = infcode ]; then
        json_num "$file" "$name"
    else
        json_str "$file" "$name"
    fi
}

xml_encoding() {
    local enc
    enc=$(head -c 200 "$1" | sed -n 's/.*encoding="\([^"]*\)".*/\1/p' | head -n 1)
    printf '%s' "${enc:-UTF-8}"
}

# send_case FILE TYPE: send one case as the table says; sets STATUS and BODY.
send_case() {
    local file=$1 type=$2
    case "$file" in
    @oversize)
        # a well-formed message padded past max_body (1m)
        {
            printf '{"infno":"9001","dev_safe_info":"'
            head -c 1100000 /dev/zero | tr '\0' 'A'
            printf '"}'
        } >"$E2E_TMP/oversize.json"
        post "$GW_URL" "$E2E_TMP/oversize.json" "$type"
        ;;
    @get)
        BODY="$E2E_TMP/body.get"
        STATUS=$(curl -s --noproxy '*' -m 10 -o "$BODY" -w '%{http_code}' "$GW_URL")
        ;;
    @unknown_path)
        write_9001 "$E2E_TMP/unknown_path.json"
        post "http://127.0.0.1:$GW_PORT/fsi/api/nowhere" "$E2E_TMP/unknown_path.json" "$type"
        ;;
    *)
        post "$GW_URL" "$BAD/$file" "$type"
        ;;
    esac
}

upstream_before=$(metric "$UPSTREAM_COUNT")
cases=0
while IFS=$'\t' read -r -a row; do
    [ "${#row[@]}" -ge 3 ] || continue
    case "${row[0]}" in '#'*) continue ;; esac
    file=${row[0]}
    type=${row[1]}
    want_status=${row[2]}
    cases=$((cases + 1))
    send_case "$file" "$type"
    if [ "$STATUS" != "$want_status" ]; then
        fail "$file: HTTP $want_status" "got HTTP $STATUS: $(head -c 400 "$BODY")"
        continue
    fi
    infcode=$(answer_field "$BODY" infcode)
    err_msg=$(answer_field "$BODY" err_msg)
    if [ "$infcode" != "-1" ]; then
        fail "$file: an envelope with infcode -1" "got: $(head -c 400 "$BODY")"
        continue
    fi
    missing=""
    for want in "${row[@]:3}"; do
        [ -n "$want" ] || continue
        case "$err_msg" in
        *"$want"*) ;;
        *) missing="$missing [$want]" ;;
        esac
    done
    if [ -z "$missing" ]; then
        ok "$file: HTTP $STATUS, infcode -1, $err_msg"
    else
        fail "$file: err_msg has$missing" "err_msg: $err_msg"
    fi
done <"$BAD/cases.tsv"
check "the corpus has at least 35 cases ($cases)" [ "$cases" -ge 35 ]

# a header far past max_headers (16k): libevent may refuse it before any
# envelope can be written, so only the status is required
big=$(head -c 20000 /dev/zero | tr '\0' 'h')
write_9001 "$E2E_TMP/header.json"
code=$(curl -s --noproxy '*' -m 10 -o "$E2E_TMP/body.header" -w '%{http_code}' \
    -H "Content-Type: application/json" -H "X-Huge: $big" \
    --data-binary "@$E2E_TMP/header.json" "$GW_URL")
case "$code" in
400 | 413 | 431) ok "a 20 KB header is refused (HTTP $code)" ;;
*) fail "a 20 KB header is refused with 400, 413 or 431" "got HTTP $code" ;;
esac

upstream_after=$(metric "$UPSTREAM_COUNT")
check "no malformed message reached the upstream ($upstream_before -> $upstream_after)" \
    [ "$upstream_before" = "$upstream_after" ]

# ---- still serving ----
check "the gateway process is still running" kill -0 "$GW_PID"
check "/livez answers 200 after the corpus" e2e_wait_url "$ADMIN_URL/livez" 2 200
write_9001 "$E2E_TMP/good.json"
post "$GW_URL" "$E2E_TMP/good.json" "application/json"
check "a good 9001 is answered with HTTP 200 and infcode 0 after the corpus" \
    [ "$STATUS:$(json_num "$BODY" infcode)" = "200:0" ]
write_9001 "$E2E_TMP/good-text.json"
post "$GW_URL" "$E2E_TMP/good-text.json" "text/plain"
check "a good 9001 sent as text/plain is answered with infcode 0" \
    [ "$(json_num "$BODY" infcode)" = 0 ]
upstream_good=$(metric "$UPSTREAM_COUNT")
check "the two good messages did reach the upstream ($upstream_after -> $upstream_good)" \
    [ "$upstream_good" -eq $((upstream_after + 2)) ]
findings=$(metric 'ybgw_findings_total')
check "ybgw_findings_total counted the rejections ($findings)" [ "$findings" -gt 0 ]

e2e_finish
