#!/bin/bash
# code_cli.sh - `ybgwctl code` end to end, against the drug plugin:
#   validate and explain with the gateway's own configuration and plugins
#   (a real code with and without --kind, a broken one, an unknown and an
#   ambiguous shape, --json); import of a small table with bad rows (reject
#   file with line numbers, counts) and of a file without a code column
#   (exit 1, nothing changes); versions, stats and activate;
#   and a reload: a structurally valid drug code missing from the active
#   official table is rejected by a running gateway, accepted once a table
#   listing it is imported and the gateway gets SIGHUP, while a stream of
#   1101s keeps flowing and sees no failure.
#
# XA01ABD075A002010100483 is the real example code of the drug standard
# (西药, from the specification). Every other drug code below is SYNTHETIC:
# made to the verified 西药 shape (X, an ATC class from codesets/drug/atc.tsv,
# name, dosage form, specification, enterprise), not a real product.

. "$(dirname "$0")/lib.sh"

DRUG_SO="$top_builddir/plugins/.libs/drug.so"
e2e_need "$YBGW" "$SIM" "$CTL"
[ -f "$DRUG_SO" ] || skip "the drug plugin is not built ($DRUG_SO)"
e2e_init
e2e_ports

REAL=XA01ABD075A002010100483     # real (the specification's example)
SHORT=XA01ABD075A00201010048     # SYNTHETIC: one character short
SYN1=XA02BCN001A001010199901     # SYNTHETIC, well formed
SYN2=XA02BCN001A001010199902     # SYNTHETIC, well formed: the reload test's code
DB="$E2E_TMP/codes.db"
DATA="$top_srcdir/codesets"

# ctl OUT ARGS...: run ybgwctl with stdout and stderr in OUT; RC is its status.
ctl() {
    local out=$1
    shift
    "$CTL" "$@" >"$out" 2>&1
    RC=$?
}

# conf_with OUT PLUGINS...: this test's gateway configuration with only the
# named plugin sections (admdvs first), on this test's code database. The
# plugin sections of conf/ybgw.conf are left out, so whatever the default
# loads, this test loads admdvs and the plugins it names, nothing else.
conf_with() {
    local out=$1 p
    shift
    [ -f "$E2E_TMP/base.conf" ] || e2e_gateway_conf "$E2E_TMP/base.conf"
    awk '/^plugin[ \t]/ { if ($0 ~ /\}[ \t]*(#.*)?$/) next; skip = 1; next }
         skip { if ($0 ~ /^\}/) skip = 0; next }
         /^[ \t]*code_tables[ \t]/ { next }
         /^[ \t]+drug[ \t]+(reject|warn|off);/ { next }
         { print }' "$E2E_TMP/base.conf" >"$out"
    {
        printf 'code_tables %s;\n' "$DB"
        printf 'default_upstream guangxi;\n' # no offsite plugin here to route
        printf 'plugin admdvs {\n    provinces admdvs/provinces.tsv;\n'
        printf '    table admdvs/admdvs.tsv;\n    membership warn;\n}\n'
        for p in "$@"; do printf 'plugin %s {\n}\n' "$p"; done
    } >>"$out"
}

conf="$E2E_TMP/ybgw.conf"
conf_with "$conf" drug
check "the test configuration loads (ybgw -t)" "$YBGW" -t -c "$conf"

# ---- the sample, as the build imports it ----
ctl "$E2E_TMP/sample.out" code import drug "$DATA/drug/sample.csv" --db "$DB" --data-dir "$DATA" \
    --sample --version sample
if [ "$RC" = 0 ] && grep -q '^drug .*version sample, sample, active$' "$E2E_TMP/sample.out"; then
    ok "import of the drug sample: $(cat "$E2E_TMP/sample.out")"
else
    fail "import of the drug sample (exit $RC)" "$(cat "$E2E_TMP/sample.out")"
fi

# ---- validate ----
ctl "$E2E_TMP/v1.out" code validate "$REAL" --kind drug -c "$conf"
check "validate $REAL --kind drug exits 0 (got $RC)" [ "$RC" = 0 ]
check "it names the kind and the standard" \
    grep -q '^kind: *drug (named with --kind)' "$E2E_TMP/v1.out"
check "its verdict is valid or warn" grep -q '^verdict: *\(valid\|warn\)$' "$E2E_TMP/v1.out"
check "it gives the policy of the configuration (reject)" \
    grep -q '^policy: *reject (codes { } of ' "$E2E_TMP/v1.out"
check "the explanation splits it: X" grep -q '^  prefix: X ' "$E2E_TMP/v1.out"
check "the explanation splits it: ATC class A01AB" grep -q '^  atc4: A01AB ' "$E2E_TMP/v1.out"
check "the explanation splits it: enterprise 00483" grep -q '^  [a-z_]*: 00483 ' "$E2E_TMP/v1.out"

ctl "$E2E_TMP/v2.out" code validate "$REAL" -c "$conf"
check "validate $REAL without --kind exits 0 (got $RC)" [ "$RC" = 0 ]
check "the kind is inferred: drug" \
    grep -q "^kind: *drug (inferred from the code's shape)" "$E2E_TMP/v2.out"
check "the inferred verdict has the segments too" grep -q '^  atc4: A01AB ' "$E2E_TMP/v2.out"

ctl "$E2E_TMP/e1.out" code explain "$REAL" --kind drug -c "$conf"
check "explain prints only the explanation (exit $RC)" \
    eval '[ "$RC" = 0 ] && grep -q "^atc4: A01AB " "$E2E_TMP/e1.out" && ! grep -q "^verdict:" "$E2E_TMP/e1.out"'

ctl "$E2E_TMP/v3.out" code validate "$SHORT" -c "$conf"
check "a code one character short exits 1 (got $RC)" [ "$RC" = 1 ]
check "its verdict is invalid, with a segment and a reason" \
    eval 'grep -q "^verdict: *invalid$" "$E2E_TMP/v3.out" && grep -q "^segment: " "$E2E_TMP/v3.out" &&
        grep -q "^reason: .*22" "$E2E_TMP/v3.out"'

ctl "$E2E_TMP/v4.out" code validate '#1234' -c "$conf"
check "a shape no loaded kind recognises exits 2 (got $RC)" [ "$RC" = 2 ]
check "it says unknown shape and lists the loaded kinds" \
    grep -q '^#1234: unknown shape: .*loaded kinds: .*drug' "$E2E_TMP/v4.out"

ctl "$E2E_TMP/v5.out" code validate "$REAL" --kind nosuchkind -c "$conf"
check "an unknown --kind exits 2 (got $RC)" [ "$RC" = 2 ]
check "it lists the loaded kinds" grep -q 'owns kind "nosuchkind" (loaded kinds: .*drug' "$E2E_TMP/v5.out"

# --json: one object on one line, with the fields a script reads
ctl "$E2E_TMP/j1.out" code validate "$REAL" --kind drug -c "$conf" --json
j=$(cat "$E2E_TMP/j1.out")
case "$j" in
'{'*'"kind":"drug"'*'"standard":"药品分类与代码"'*'"status":"'*'"policy":"reject"'*'"explanation":["'*'atc4: A01AB'*'"candidates":[]'*'}')
    ok "validate --json is one object with kind, standard, status, policy, explanation" ;;
*) fail "validate --json is one object with kind, standard, status, policy, explanation" "$j" ;;
esac
check "validate --json is a single line" [ "$(wc -l <"$E2E_TMP/j1.out")" = 1 ]
ctl "$E2E_TMP/j2.out" code validate "$SHORT" --json -c "$conf"
check "validate --json of an invalid code: exit 1, status invalid, its segment" \
    eval '[ "$RC" = 1 ] && grep -q "\"status\":\"invalid\",\"segment\":\"[a-z_]\+\",\"reason\":\"" "$E2E_TMP/j2.out"'

# ambiguity needs two loaded kinds that accept the same code: the two
# standards whose structure is unpublished accept any short alphanumeric code
pair=""
for p in "sysunit sysstaff" "drg_dise daysurg"; do
    read -r kind_a kind_b <<<"$p"
    if [ -f "$top_builddir/plugins/.libs/$kind_a.so" ] && [ -f "$top_builddir/plugins/.libs/$kind_b.so" ]; then
        pair=$p
        break
    fi
done
if [ -n "$pair" ]; then
    read -r kind_a kind_b <<<"$pair"
    conf_with "$E2E_TMP/ambiguous.conf" drug "$kind_a" "$kind_b"
    ctl "$E2E_TMP/a1.out" code validate SYN0001 -c "$E2E_TMP/ambiguous.conf" # SYNTHETIC
    check "a code two loaded kinds accept exits 2 (got $RC)" [ "$RC" = 2 ]
    check "it says ambiguous and names both kinds" \
        grep -q "^SYN0001: ambiguous: could be $kind_a (.*) or $kind_b (.*); name one with --kind" \
        "$E2E_TMP/a1.out"
    ctl "$E2E_TMP/a2.out" code validate SYN0001 -c "$E2E_TMP/ambiguous.conf" --json
    check "--json of an ambiguous code: status ambiguous with both candidates" \
        eval 'grep -q "\"status\":\"ambiguous\"" "$E2E_TMP/a2.out" &&
            grep -q "\"candidates\":\[{\"kind\":\"$kind_a\".*{\"kind\":\"$kind_b\"" "$E2E_TMP/a2.out"'
    ctl "$E2E_TMP/a3.out" code validate SYN0001 --kind "$kind_a" -c "$E2E_TMP/ambiguous.conf"
    check "with --kind $kind_a the same code is judged (exit $RC)" [ "$RC" = 0 ]
    ctl "$E2E_TMP/a4.out" code validate 'AB-12' -c "$E2E_TMP/ambiguous.conf" # SYNTHETIC
    check "a code both recognise and neither accepts exits 1 with both reasons (got $RC)" \
        eval '[ "$RC" = 1 ] && grep -q "^  $kind_a (.*): \[[a-z_]*\] ." "$E2E_TMP/a4.out" &&
            grep -q "^  $kind_b (.*): \[[a-z_]*\] ." "$E2E_TMP/a4.out"'
    # those two standards' shapes are not verified: a verified form outranks them
    ctl "$E2E_TMP/a5.out" code validate "$REAL" -c "$E2E_TMP/ambiguous.conf"
    check "$REAL is still inferred as drug beside them (exit $RC)" \
        eval '[ "$RC" = 0 ] && grep -q "^kind: *drug (inferred" "$E2E_TMP/a5.out" &&
            grep -q "^also: *$kind_a (.*) accepts it, by a shape that is not verified" "$E2E_TMP/a5.out"'
    # a near miss of a verified shape (an X code one character short) is that
    # kind's, refused with its reason, not "ambiguous" among the permissive ones
    ctl "$E2E_TMP/a6.out" code validate "$SHORT" -c "$E2E_TMP/ambiguous.conf"
    check "$SHORT: inferred as drug and refused with drug's reason (exit $RC)" \
        eval '[ "$RC" = 1 ] && grep -q "^kind: *drug (inferred" "$E2E_TMP/a6.out" &&
            grep -q "^reason: *西药 code must be 23 characters, got 22" "$E2E_TMP/a6.out" &&
            grep -q "^also: *$kind_a (.*) accepts it, by a shape that is not verified" "$E2E_TMP/a6.out"'
else
    printf 'note: no pair of plugins that share a shape is built; ambiguity not tested\n'
fi

# ---- import: a small official table with bad rows ----
cat >"$E2E_TMP/v1.csv" <<CSV
药品代码,注册名称,开始日期,结束日期
$REAL,real code (the name here is synthetic),2020-01-01,
$SHORT,synthetic: one character short,,
$SYN1,synthetic row,2020-01-01,2099-12-31
$REAL,synthetic: a duplicate of line 2,,
$SYN1,synthetic: a duplicate of line 4,,
XB06ACL388B0,catalogue code with its dates the wrong way round,2021-01-01,2020-01-01
CSV
ctl "$E2E_TMP/i1.out" code import drug "$E2E_TMP/v1.csv" --db "$DB" --data-dir "$DATA" \
    --version v1 --no-activate --rejects "$E2E_TMP/v1.rejects"
check "an import with bad rows exits 0 (got $RC)" [ "$RC" = 0 ]
check "its summary: 2 rows, 4 rejected, the reject file, version v1, official, not active" \
    grep -q "^drug $E2E_TMP/v1.csv: 2 rows, 4 rejected (see $E2E_TMP/v1.rejects), .* rows/s, version v1, official, not active$" \
    "$E2E_TMP/i1.out"
rejected_lines=$(grep -v '^#' "$E2E_TMP/v1.rejects" 2>/dev/null | cut -f1 | tr '\n' ' ')
check "the reject file lists lines 3 5 6 7 (got: $rejected_lines)" [ "$rejected_lines" = "3 5 6 7 " ]
check "each rejected line has a reason and the row as written" \
    grep -q "^3.\+.$SHORT,synthetic: one character short,,$" "$E2E_TMP/v1.rejects"

# a file without a code column changes nothing
ctl "$E2E_TMP/before.out" code versions drug --db "$DB"
printf '名称,开始日期\nsomething,2020-01-01\n' >"$E2E_TMP/nocode.csv"
ctl "$E2E_TMP/i2.out" code import drug "$E2E_TMP/nocode.csv" --db "$DB" --data-dir "$DATA" \
    --version broken
check "an import of a file without a code column exits 1 (got $RC)" [ "$RC" = 1 ]
check "it says why: $(head -n 1 "$E2E_TMP/i2.out")" grep -q 'nocode.csv' "$E2E_TMP/i2.out"
ctl "$E2E_TMP/after.out" code versions drug --db "$DB"
check "and the versions are unchanged" cmp -s "$E2E_TMP/before.out" "$E2E_TMP/after.out"

ctl "$E2E_TMP/i3.out" code import nosuch "$E2E_TMP/v1.csv" --db "$DB" --data-dir "$DATA"
check "an unknown standard exits 2 and lists the known ones (got $RC)" \
    eval '[ "$RC" = 2 ] && grep -q "no standard \"nosuch\" in .*standards there: .*drug" "$E2E_TMP/i3.out"'

# the ICD codes a disease-list entry refers to are judged by the loaded
# diagnosis kinds (entries SYNTHETIC; A00.000 and 00.0100 are from the diag
# sample, A00.0 is one character group short)
if [ -f "$top_builddir/plugins/.libs/diag.so" ] && [ -f "$top_builddir/plugins/.libs/drg_dise.so" ]; then
    conf_with "$E2E_TMP/refs.conf" diag drg_dise
    printf '病种代码,病种名称,refs,开始日期,结束日期\nSYN01,synthetic,A00.000 00.0100,,\nSYN02,synthetic,A00.0,,\n' \
        >"$E2E_TMP/dise.csv"
    ctl "$E2E_TMP/r1.out" code import drg_dise "$E2E_TMP/dise.csv" -c "$E2E_TMP/refs.conf" \
        --version r1 --no-activate
    check "an entry referring to a broken ICD code is rejected (exit $RC): $(grep -v '^#' "$E2E_TMP/dise.csv.rejects" 2>/dev/null | cut -f1,2)" \
        eval '[ "$RC" = 0 ] && grep -q ": 1 rows, 1 rejected " "$E2E_TMP/r1.out" &&
            grep -q "^3.refers to icd10yb code A00.0, which is not valid" "$E2E_TMP/dise.csv.rejects"'
else
    printf 'note: the diag or drg_dise plugin is not built; the check of references is not tested\n'
fi

# ---- versions, stats, activate ----
ctl "$E2E_TMP/s1.out" code stats --db "$DB" -c "$conf"
check "stats exits 0 (got $RC)" [ "$RC" = 0 ]
check "stats: the sample is the active version" \
    grep -q '^drug  *sample  *active  *sample  *[0-9,]\+  *0 ' "$E2E_TMP/s1.out"
check "stats: v1 is there, official, not active, 2 rows, 4 rejected" \
    grep -q '^drug  *v1  *-  *official  *2  *4 ' "$E2E_TMP/s1.out"
check "stats: the active table's rows and memory in MiB" \
    grep -q '^drug  *sample  *sample  *[0-9,]\+  *[0-9]\+\.[0-9][0-9] ' "$E2E_TMP/s1.out"
check "stats: the loaded kinds with their standard" \
    grep -q '^drug  *reject  *药品分类与代码$' "$E2E_TMP/s1.out"
ctl "$E2E_TMP/s2.out" code stats --db "$DB" -c "$conf" --json
check "stats --json has the standards, versions, memory and kinds" \
    eval 'grep -q "\"standard\":\"drug\",\"active\":\"sample\"" "$E2E_TMP/s2.out" &&
        grep -q "\"memory_bytes\":[1-9]" "$E2E_TMP/s2.out" &&
        grep -q "\"kinds\":\[{\"kind\":\"admdvs\"" "$E2E_TMP/s2.out"'

ctl "$E2E_TMP/act.out" code activate drug v1 --db "$DB"
check "activate drug v1 exits 0: $(cat "$E2E_TMP/act.out")" \
    eval '[ "$RC" = 0 ] && grep -q "^drug: version v1 is now active (was sample)" "$E2E_TMP/act.out"'
ctl "$E2E_TMP/s3.out" code versions drug --db "$DB"
check "versions: v1 is now the active one and the sample is not" \
    eval 'grep -q "^drug  *v1  *active " "$E2E_TMP/s3.out" && grep -q "^drug  *sample  *- " "$E2E_TMP/s3.out"'
ctl "$E2E_TMP/act2.out" code activate drug nosuchversion --db "$DB"
check "activating a version that does not exist exits 1 (got $RC)" [ "$RC" = 1 ]

# the CLI now sees the official table, as the gateway will
ctl "$E2E_TMP/v6.out" code validate "$SYN2" -c "$conf"
check "validate $SYN2 (synthetic, not in v1) exits 1 (got $RC)" [ "$RC" = 1 ]
check "its reason: not in the table version v1" \
    grep -q '^reason: .*not in the .* table (version v1)' "$E2E_TMP/v6.out"
ctl "$E2E_TMP/v7.out" code validate "$SYN1" -c "$conf"
check "validate $SYN1 (synthetic, in v1) exits 0 (got $RC)" [ "$RC" = 0 ]

# ---- reload under traffic ----
e2e_start_sim
e2e_start_gateway "$conf"

# msg FILE INFNO INPUT: an envelope from the demo hospital with a fresh msgid
msg() {
    next_msgid
    cat >"$1" <<JSON
{"infno":"$2","msgid":"$MSGID","mdtrtarea_admvs":"450199","insuplc_admdvs":"","recer_sys_code":"YBGW","dev_no":"","dev_safe_info":"","cainfo":"","signtype":"","infver":"V1.0","opter_type":"1","opter":"0001","opter_name":"收费员甲","inf_time":"$(date '+%Y-%m-%d %H:%M:%S')","fixmedins_code":"H45019900055","fixmedins_name":"演示医院","sign_no":"${SIGN_NO:-}","input":$3}
JSON
}

write_9001 "$E2E_TMP/signin.json"
post "$GW_URL" "$E2E_TMP/signin.json"
SIGN_NO=$(json_str "$BODY" sign_no)
check "sign in through the gateway (sign_no $SIGN_NO)" [ -n "$SIGN_NO" ]

# the background stream: 1101 for a synthetic person, until told to stop
bg_1101() {
    local i okc=0 bad=0 status ans=$E2E_TMP/bg.answer
    E2E_SERIAL=$(((E2E_SERIAL + 5000) % 10000))
    for i in $(seq 1 3000); do
        [ -f "$E2E_TMP/bg.stop" ] && break
        msg "$E2E_TMP/bg.json" 1101 '{"data":{"mdtrt_cert_type":"02","mdtrt_cert_no":"450103199001010011","card_sn":"","psn_cert_type":"01","certno":"450103199001010011","psn_name":"测试甲"}}'
        status=$(curl -s --noproxy '*' -m 10 -o "$ans" -w '%{http_code}' \
            -H 'Content-Type: application/json' --data-binary "@$E2E_TMP/bg.json" "$GW_URL")
        if [ "$status" = 200 ] && [ "$(json_num "$ans" infcode)" = 0 ]; then
            okc=$((okc + 1))
        else
            bad=$((bad + 1))
            cp "$ans" "$E2E_TMP/bg.failed.$bad" 2>/dev/null
        fi
        printf '%d %d\n' "$okc" "$bad" >"$E2E_TMP/bg.count.new"
        mv "$E2E_TMP/bg.count.new" "$E2E_TMP/bg.count"
    done
}
bg_count() {
    cut -d' ' -f"$1" "$E2E_TMP/bg.count" 2>/dev/null || echo 0
}
bg_1101 &
BG_PID=$!
E2E_PIDS+=("$BG_PID")
for i in $(seq 1 50); do
    [ "$(bg_count 1)" -ge 3 ] && break
    sleep 0.1
done
check "the 1101 stream is flowing ($(bg_count 1) answered)" [ "$(bg_count 1)" -ge 3 ]

query='{"data":{"hilist_code":"'$SYN2'","page_num":1,"page_size":10}}'
msg "$E2E_TMP/q1.json" 1312 "$query"
post "$GW_URL" "$E2E_TMP/q1.json"
err=$(json_str "$BODY" err_msg)
case "$(json_num "$BODY" infcode):$err" in
-1:*hilist_code*"not in the"*"table (version v1)"*) ok "before the import, 1312 with $SYN2 is rejected: $err" ;;
*) fail "before the import, 1312 with $SYN2 is rejected as not in the table" "$(head -c 600 "$BODY")" ;;
esac

{
    head -n 1 "$E2E_TMP/v1.csv"
    printf '%s,real code (the name here is synthetic),2020-01-01,\n' "$REAL"
    printf '%s,synthetic row,2020-01-01,2099-12-31\n' "$SYN1"
    printf '%s,synthetic row added in v2,2020-01-01,\n' "$SYN2"
} >"$E2E_TMP/v2.csv"
ctl "$E2E_TMP/i4.out" code import drug "$E2E_TMP/v2.csv" -c "$conf" --version v2
check "import of v2 through the configuration's code_tables: 3 rows, active" \
    eval '[ "$RC" = 0 ] && grep -q ": 3 rows, 0 rejected, .*version v2, official, active$" "$E2E_TMP/i4.out"'

reloads_ok=$(metric 'ybgw_reloads_total{result="ok"')
before_reload=$(bg_count 1)
kill -HUP "$GW_PID"
for i in $(seq 1 100); do
    [ "$(metric 'ybgw_reloads_total{result="ok"')" -gt "$reloads_ok" ] && break
    sleep 0.1
done
n=$(metric 'ybgw_reloads_total{result="ok"')
check "SIGHUP reloads ($reloads_ok -> $n)" [ "$n" -eq $((reloads_ok + 1)) ]

msg "$E2E_TMP/q2.json" 1312 "$query"
post "$GW_URL" "$E2E_TMP/q2.json"
err=$(json_str "$BODY" err_msg)
warn=$(json_str "$BODY" warn_msg)
if [ "$(json_num "$BODY" infcode)" = 0 ] && ! printf '%s %s' "$err" "$warn" | grep -q hilist_code; then
    ok "after the import and SIGHUP, 1312 with $SYN2 is accepted and answered"
else
    fail "after the import and SIGHUP, 1312 with $SYN2 is accepted" "$(head -c 600 "$BODY")"
fi

for i in $(seq 1 50); do
    [ "$(bg_count 1)" -ge $((before_reload + 3)) ] && break
    sleep 0.1
done
touch "$E2E_TMP/bg.stop"
e2e_wait_exit "$BG_PID"
answered=$(bg_count 1)
failed=$(bg_count 2)
check "the 1101 stream went on across the reload ($before_reload before, $answered in all)" \
    [ "$answered" -ge $((before_reload + 3)) ]
check "and none of its $((answered + failed)) requests failed ($failed failed)" [ "$failed" = 0 ]
if [ "$failed" != 0 ]; then
    head -c 600 "$E2E_TMP/bg.failed.1"
    printf '\n'
fi

e2e_finish
