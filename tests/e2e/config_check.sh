#!/bin/bash
# config_check.sh - `ybgw -t` and `ybgwctl check-config`: the default
# configuration passes, and each broken one fails naming the file and the
# line where the mistake is, so an operator can go straight to it.
#
# The broken files are made from conf/ybgw.conf at run time, and the lines
# expected are found in it by their directives, so the test follows edits
# of the default configuration.

. "$(dirname "$0")/lib.sh"

e2e_need "$YBGW"
e2e_init
e2e_ports

good="$E2E_TMP/ybgw.conf"
e2e_gateway_conf "$good"

# line_of REGEX: the first line of the default configuration matching REGEX.
line_of() {
    grep -n "$1" "$good" | head -n 1 | cut -d: -f1
}

# expect_broken NAME FILE LINE SUBSTRING: ybgw -t fails with FILE:LINE: ...
expect_broken() {
    local name=$1 file=$2 line=$3 want=$4 out rc
    out=$("$YBGW" -t -c "$file" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        fail "$name: ybgw -t fails" "it exited 0: $out"
        return
    fi
    case "$out" in
    *"$file:$line: "*"$want"*) ok "$name: $(printf '%s' "$out" | grep -F "$file:$line:" | head -n 1)" ;;
    *) fail "$name: ybgw -t says $file:$line: ...$want..." "it said: $out" ;;
    esac
}

# ---- the default configuration ----
if [ "$top_srcdir" = "$top_builddir" ]; then
    out=$(cd "$top_srcdir" && "$YBGW" -t -c conf/ybgw.conf 2>&1)
    check "ybgw -t -c conf/ybgw.conf passes from the top of the tree" [ $? -eq 0 ]
    [ -n "$out" ] && printf '%s\n' "$out"
fi
out=$("$YBGW" -t -c "$good" 2>&1)
rc=$?
check "ybgw -t passes the default configuration" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || printf '%s\n' "$out"

# ---- broken ones ----
lines=$(wc -l <"$good")

f="$E2E_TMP/unknown_directive.conf"
{ cat "$good"; printf 'frobnicate on;\n'; } >"$f"
expect_broken "an unknown directive" "$f" $((lines + 1)) 'unknown directive "frobnicate"'

f="$E2E_TMP/missing_semicolon.conf"
n=$(line_of '^\s*insuplc_admdvs ')
sed "${n}s/;/ /" "$good" >"$f"
# the parser notices at the "}" that closes the block, on the next line
expect_broken "a missing semicolon" "$f" $((n + 1)) 'directive "insuplc_admdvs" has no ending ";"'

f="$E2E_TMP/unterminated_block.conf"
head -n "$n" "$good" >"$f"
expect_broken "an unterminated block" "$f" $((n + 1)) 'unexpected end of file, a "}" is missing'

f="$E2E_TMP/bad_duration.conf"
n=$(line_of '^read_timeout ')
sed "${n}s/^read_timeout [^;]*;/read_timeout 30x;/" "$good" >"$f"
expect_broken "a bad duration" "$f" "$n" '"read_timeout": "30x" is not a duration'

f="$E2E_TMP/bad_size.conf"
n=$(line_of '^max_body ')
sed "${n}s/^max_body [^;]*;/max_body lots;/" "$good" >"$f"
expect_broken "a bad size" "$f" "$n" '"max_body": "lots" is not a size'

f="$E2E_TMP/unknown_upstream.conf"
{ cat "$good"; printf 'default_upstream nowhere;\n'; } >"$f"
expect_broken "an unknown upstream in default_upstream" "$f" $((lines + 1)) \
    'default_upstream "nowhere" is not a configured upstream'

f="$E2E_TMP/unknown_route.conf"
n=$(line_of '^\s*route 45 ')
sed "${n}s/route 45 guangxi;/route 45 nowhere;/" "$good" >"$f"
expect_broken "a route to an upstream that does not exist" "$f" "$n" 'nowhere'

f="$E2E_TMP/missing_module.conf"
{ cat "$good"; printf 'plugin nosuch {\n}\n'; } >"$f"
expect_broken "a plugin whose module does not exist" "$f" $((lines + 1)) \
    'plugin nosuch: module nosuch.so not found in plugin_dir'

f="$E2E_TMP/empty_plugin_dir.conf"
mkdir -p "$E2E_TMP/noplugins"
sed "s|^\(\s*plugin_dir\s\+\)[^;]*;|\1$E2E_TMP/noplugins;|" "$good" >"$f"
n=$(line_of '^plugin admdvs')
expect_broken "a plugin_dir without the module" "$f" "$n" \
    "plugin admdvs: module admdvs.so not found in plugin_dir ($E2E_TMP/noplugins)"

f="$E2E_TMP/bad_policy.conf"
n=$(line_of '^\s*msgid ')
sed "${n}s/reject;/maybe;/" "$good" >"$f"
expect_broken "a policy that is not reject, warn or off" "$f" "$n" \
    '"msgid" takes one of reject, warn, off, got "maybe"'

# ---- ybgwctl check-config reads it the same way ----
if [ -x "$CTL" ]; then
    out=$("$CTL" check-config "$good" 2>&1)
    rc=$?
    check "ybgwctl check-config prints \"FILE: ok\" for the default ($out)" \
        [ "$rc:$out" = "0:$good: ok" ]
    out=$("$CTL" check-config "$E2E_TMP/bad_duration.conf" 2>&1)
    rc=$?
    n=$(line_of '^read_timeout ')
    case "$rc:$out" in
    "1:$E2E_TMP/bad_duration.conf:$n: "*) ok "ybgwctl check-config exits 1 with file:line ($out)" ;;
    *) fail "ybgwctl check-config exits 1 with file:line" "exit $rc: $out" ;;
    esac
fi

e2e_finish
