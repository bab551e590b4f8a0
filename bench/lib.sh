# bench/lib.sh - the pieces bench/run starts and measures with: free ports,
# the nginx configurations (the fixed-answer upstream and the proxy), the
# gateway's configuration, starting and stopping them, checking one answer,
# and one wrk run.
#
# Sourced by bench/run, not run. It expects from the caller: top_srcdir,
# top_builddir, tmp (the run's private directory), service_path, workloads
# (names of bench/work/NAME.json), the arrays pids (every process started,
# for the EXIT trap) and the helpers' settings below. Only 127.0.0.1 is used.

# shellcheck shell=bash disable=SC2034,SC2154  # a library: names shared with bench/run

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORK="$top_srcdir/bench/work"

# bench_tools: wrk and nginx, with apt when missing (Debian 12: the package
# nginx; nginx-light is only a transitional name for it there).
bench_tools() {
    local want=()
    command -v wrk >/dev/null || want+=(wrk)
    [ -x "$NGINX" ] || want+=(nginx)
    [ ${#want[@]} -eq 0 ] && return 0
    echo "bench: installing ${want[*]} with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${want[@]}" >/dev/null
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
}

# take_port: TAKEN is the next loopback port from NEXT_PORT on that nothing
# listens on, and NEXT_PORT moves past it (no subshell: the ports are taken
# before anything binds them). Below the kernel's range for outgoing
# connections, so no client connection takes one before its server binds.
NEXT_PORT=$((21000 + $$ % 8000))
take_port() {
    local tries=0
    while (exec 3<>"/dev/tcp/127.0.0.1/$NEXT_PORT") 2>/dev/null; do
        NEXT_PORT=$((NEXT_PORT + 1))
        tries=$((tries + 1))
        [ "$tries" -lt 500 ] || { echo "bench: no free loopback port" >&2; exit 1; }
    done
    TAKEN=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
}

# nginx_common DIR WORKERS: the top of an nginx configuration whose files all
# live in DIR. As root nginx runs its workers as another user unless told;
# they stay root here so they can read the run's private directory.
nginx_common() {
    local dir=$1 workers=$2
    [ "$(id -u)" = 0 ] && echo "user root root;"
    cat <<EOF
worker_processes $workers;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    # a 2204 body (24 KiB) and its answer stay in memory, never in a temp file
    client_body_buffer_size 64k;
    proxy_buffer_size 32k;
    proxy_buffers 4 32k;
    # one keep-alive connection serves the whole run, as ybgw's pool does
    keepalive_requests 1000000;
EOF
}

# nginx_upstream_conf DIR: configuration (a), the platform: one server per
# workload on A_PORT[NAME], answering a POST on the service path with the
# constant answer bench/work/NAME.answer.json. The static module refuses a
# POST (405); error_page turns that into a GET of the same file with status
# 200 (return cannot hold a 21 KiB answer: nginx caps one parameter at 4 KiB).
nginx_upstream_conf() {
    local dir=$1 w
    nginx_common "$dir" 1
    echo "    open_file_cache max=16;"
    for w in "${workloads[@]}"; do
        cat <<EOF
    server {
        listen 127.0.0.1:${A_PORT[$w]};
        location = $service_path {
            alias $WORK/$w.answer.json;
            default_type "application/json;charset=UTF-8";
            error_page 405 =200 \$uri;
        }
    }
EOF
    done
    echo "}"
}

# nginx_proxy_conf DIR WORKERS: configuration (b): nginx proxy_pass to (a)
# with upstream keep-alive, one server per workload on B_PORT[WORKERS-NAME].
nginx_proxy_conf() {
    local dir=$1 workers=$2 w port
    nginx_common "$dir" "$workers"
    for w in "${workloads[@]}"; do
        port=${B_PORT[$workers-$w]}
        cat <<EOF
    upstream platform_$w {
        server 127.0.0.1:${A_PORT[$w]};
        keepalive $keepalive;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://platform_$w;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF
    done
    echo "}"
}

# nginx_start NAME CONF_WRITER ARGS...: an nginx in the foreground from
# $tmp/NAME, its configuration written by CONF_WRITER $tmp/NAME ARGS...;
# waits for its first port (the caller names it in WAIT_PORT).
nginx_start() {
    local name=$1 dir="$tmp/$1"
    shift
    mkdir -p "$dir"
    "$@" > "$dir/nginx.conf"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
        -g "daemon off; pid $dir/nginx.pid;" 2> "$dir/stderr.log" &
    pids+=($!)
    if ! wait_port "$WAIT_PORT"; then
        echo "bench: nginx $name did not start:" >&2
        cat "$dir/stderr.log" "$dir/error.log" >&2 2> /dev/null || true
        exit 1
    fi
}

wait_port() {
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ybgw_conf NAME WORKERS: $tmp/NAME/ybgw.conf, the shipped conf/ybgw.conf with
# WORKERS workers, listening on GW_PORT[NAME] and ADMIN_PORT[NAME], every
# upstream endpoint pointed at UPSTREAM_PORT[NAME] (the (a) server of its
# workload), log_level warn, access_log off, its state files in $tmp/NAME.
# Everything else (the 16 plugins, the journal on) stays as shipped.
ybgw_conf() {
    local name=$1 workers=$2 dir="$tmp/$1"
    mkdir -p "$dir"
    cp "$top_builddir/catalog.db" "$dir/catalog.db"
    sed -e "s|^workers [0-9]*;|workers $workers;|" \
        -e "s|^\(listen\s\+\)127\.0\.0\.1:9800;|\1127.0.0.1:${GW_PORT[$name]};|" \
        -e "s|^\(admin_listen\s\+\)127\.0\.0\.1:9801;|\1127.0.0.1:${ADMIN_PORT[$name]};|" \
        -e "s|^\(\s*endpoint\s\+http://127\.0\.0\.1:\)[0-9]*/|\1${UPSTREAM_PORT[$name]}/|" \
        -e "s|^log_level .*;|log_level warn;|" \
        -e "s|^access_log .*;|access_log off;|" \
        -e "s|^\(schemas\s\+\)conf/schemas;|\1$top_srcdir/conf/schemas;|" \
        -e "s|^\(plugin_dir\s\+\)plugins/\.libs;|\1$top_builddir/plugins/.libs;|" \
        -e "s|^\(data_dir\s\+\)codesets;|\1$top_srcdir/codesets;|" \
        -e "s|^\(code_tables\s\+\)codesets/codes\.db;|\1$top_builddir/codesets/codes.db;|" \
        -e "s|^\(\s*secret_file\s\+\)\.\./relay\.key;|\1$tmp/relay.key;|" \
        -e "s|^\(\s*key_file\s\+\)\.\./journal\.key;|\1$tmp/journal.key;|" \
        -e "s|^\(\s*path\s\+\)journal\.db;|\1$dir/journal.db;|" \
        -e "s|^\(\s*store\s\+\)catalog\.db;|\1$dir/catalog.db;|" \
        -e "s|^\(\s*filings\s\+\)offsite\.db;|\1$dir/offsite.db;|" \
        "$top_srcdir/conf/ybgw.conf" > "$dir/ybgw.conf"
    if ! "$top_builddir/gateway/ybgw" -t -c "$dir/ybgw.conf" > "$dir/check.log" 2>&1; then
        echo "bench: the gateway configuration $name is refused:" >&2
        cat "$dir/check.log" >&2
        exit 1
    fi
}

# ybgw_start NAME: the gateway of $tmp/NAME, run from that directory; waits
# for /readyz. Sets YBGW_PID[NAME].
ybgw_start() {
    local name=$1 dir="$tmp/$1" i
    (cd "$dir" && exec "$top_builddir/gateway/ybgw" -c "$dir/ybgw.conf") 2> "$dir/ybgw.log" &
    YBGW_PID["$name"]=$!
    pids+=($!)
    for i in $(seq 100); do
        curl -sf --noproxy '*' -m 1 -o /dev/null "http://127.0.0.1:${ADMIN_PORT[$name]}/readyz" &&
            return 0
        sleep 0.1
    done
    echo "bench: the gateway $name did not become ready:" >&2
    tail -20 "$dir/ybgw.log" >&2
    exit 1
}

# stop PID [NAME]: TERM, then KILL if it still runs after 3 s, and reap it.
# A ybgw whose answers wrk cut off at its exit counts them as unwritten and
# waits its whole drain_timeout (30 s) for them; the bench does not wait.
stop() {
    local i
    kill "$1" 2> /dev/null || return 0
    for i in $(seq 30); do
        kill -0 "$1" 2> /dev/null || break
        sleep 0.1
    done
    if kill -0 "$1" 2> /dev/null; then
        [ -n "${2:-}" ] && echo "bench: note: $2 still draining 3 s after SIGTERM; killed" >&2
        kill -KILL "$1" 2> /dev/null || true
    fi
    wait "$1" 2> /dev/null || true
}

# verify WHAT URL WORKLOAD: one POST of the workload with curl; ends the run
# with the answer shown unless it is HTTP 200 with infcode 0. A warn_msg is
# shown, not fatal.
verify() {
    local what=$1 url=$2 w=$3 out="$tmp/verify.out" status port
    status=$(curl -s --noproxy '*' -m 10 -o "$out" -w '%{http_code}' -H 'Expect:' \
        -H 'Content-Type: application/json;charset=UTF-8' --data-binary "@$WORK/$w.json" "$url") ||
        status=000
    port=${url#http://127.0.0.1:}
    cp "$out" "$tmp/verify.$w.${port%%/*}.out"
    if [ "$status" != 200 ] || ! grep -q '"infcode":0' "$out"; then
        echo "bench: workload $w does not pass through $what (HTTP $status); the answer:" >&2
        cat "$out" >&2
        echo >&2
        exit 1
    fi
    if grep -q '"warn_msg":"[^"]' "$out"; then
        echo "bench: note: $what warns on $w:" \
            "$(sed -n 's/.*"warn_msg":"\([^"]*\)".*/\1/p' "$out")" >&2
    fi
}

# measure THREADS URL WORKLOAD: a warm-up, then the measured wrk run; prints
# "rps p50_ms p99_ms errors" (errors of both: wrong answers and socket errors).
measure() {
    local threads=$1 url=$2 w=$3 warm run
    warm=$(BODY="$WORK/$w.json" wrk -t"$threads" -c"$connections" -d"${warmup}s" \
        -s "$top_srcdir/bench/post.lua" "$url" | grep '^BENCH') || warm="BENCH errors=-1"
    run=$(BODY="$WORK/$w.json" wrk -t"$threads" -c"$connections" -d"${duration}s" \
        -s "$top_srcdir/bench/post.lua" "$url" | grep '^BENCH') || run="BENCH errors=-1"
    echo "$(field "$run" rps) $(field "$run" p50_ms) $(field "$run" p99_ms)" \
        "$(($(field "$warm" errors) + $(field "$run" errors)))"
}

# field LINE NAME: the value of NAME=VALUE in a BENCH line (- when missing).
field() {
    local v
    v=$(echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p")
    echo "${v:--}"
}
