#!/usr/bin/env bash
# End-to-end cost of the cors module: builds Caddy with it, serves the same
# site with and without `cors` on 127.0.0.1, and loads each with wrk in
# alternating runs (A B C A B C ...), for actual requests and for preflights:
#   A: the site without cors;
#   B: the same site with cors;
#   C: the same site without cors, but with the response headers that cors
#      sends set by the header directive, to tell the module's own work
#      from the cost of sending a few more header bytes.
# With MODE=report_only, the sites are instead a backend that does CORS
# itself, as django-cors-headers does (its headers set by the header
# directive, its preflights answered 200 with its lists):
#   A: that site without cors;
#   B: the same site with the same policy in cors ... { report_only }, which
#      judges every request (all "same": the policies agree) and changes
#      nothing;
#   C: the same site with the policy enforcing.
# Bounded: ROUNDS x 3 sites x 2 request kinds x SECONDS_PER_RUN (default
# 4 x 3 x 2 x 5 s, about three minutes). On a machine with two or more cores,
# Caddy runs on CPU 0 and wrk on CPU 1, so that they do not take turns.
#
#	bash bench/wrk.sh                  # needs wrk: apt-get install -y wrk
#	MODE=report_only bash bench/wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-32}
PORT=9380
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

pin_caddy="" pin_wrk=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	pin_caddy="taskset -c 0" pin_wrk="taskset -c 1"
fi

work=$(mktemp -d)
trap 'kill "$(cat "$work/pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/caddy" ./cmd/caddy

# The same site twice; B adds cors. Logs off, admin off: only the request path counts.
site() {
	cat <<CADDY
{
	admin off
	persist_config off
	auto_https off
	log default {
		output discard
	}
}
http://127.0.0.1:$PORT {
	$1
	respond "hello"
}
CADDY
}
policy='cors https://app.example.com {
		credentials
		max_age 10m'
if [ "${MODE:-enforcing}" = report_only ]; then
	# The backend's own CORS, as django-cors-headers sends it to the one
	# origin wrk uses.
	backend='@preflight {
		method OPTIONS
		header Access-Control-Request-Method *
	}
	header Access-Control-Allow-Origin https://app.example.com
	header Access-Control-Allow-Credentials true
	header Vary Origin
	header @preflight Access-Control-Allow-Methods "DELETE, GET, OPTIONS, PATCH, POST, PUT"
	header @preflight Access-Control-Allow-Headers "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with"
	header @preflight Access-Control-Max-Age 86400
	respond @preflight 200'
	site "$backend" >"$work/A.caddyfile"
	site "$policy
		report_only
	}
	$backend" >"$work/B.caddyfile"
	site "$policy
	}
	$backend" >"$work/C.caddyfile"
	columns='A_backend_cors\tB_report_only\tC_enforcing'
else
	site "" >"$work/A.caddyfile"
	site "$policy
	}" >"$work/B.caddyfile"
	site 'header Access-Control-Allow-Origin https://app.example.com
	header Access-Control-Allow-Credentials true
	header Vary Origin' >"$work/C.caddyfile"
	columns='A_without\tB_with_cors\tC_headers_only'
fi

cat >"$work/actual.lua" <<'LUA'
wrk.method = "GET"
wrk.headers["Origin"] = "https://app.example.com"
LUA
cat >"$work/preflight.lua" <<'LUA'
wrk.method = "OPTIONS"
wrk.headers["Origin"] = "https://app.example.com"
wrk.headers["Access-Control-Request-Method"] = "PUT"
wrk.headers["Access-Control-Request-Headers"] = "authorization,content-type"
LUA

# cpu_ticks is the CPU time (user + system, in clock ticks) process $1 has
# used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

run() { # site kind -> "requests/s  Caddy's CPU microseconds per request"
	GOMAXPROCS=1 $pin_caddy "$work/caddy" run --config "$work/$1.caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
	echo $! >"$work/pid"
	for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
	local pid t0 t1 out
	pid=$(cat "$work/pid")
	t0=$(cpu_ticks "$pid")
	out=$($pin_wrk wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$work/$2.lua" "http://127.0.0.1:$PORT/")
	t1=$(cpu_ticks "$pid")
	awk -v ticks=$((t1 - t0)) -v hz="$hz" '
		/requests in/ {n = $1}
		/^Requests\/sec/ {rps = $2}
		END {printf "%s %.2f\n", rps, ticks / hz * 1e6 / n}' <<<"$out"
	kill "$pid"; wait "$pid" 2>/dev/null || true
}

# Requests/s are what the target is about; on a shared machine they move
# with whatever else runs. The CPU time Caddy spent per request (from
# /proc, at 1/CLK_TCK resolution) moves much less: cap = A_cpu/B_cpu is
# the ratio of requests per CPU-second, what B/A would be on a core of
# its own.
printf "kind\tround\t$columns\tB/A\tB/C\tA_cpu_us\tB_cpu_us\tC_cpu_us\tcap_B/A\tcap_B/C\n"
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.3f", x/y}'; }
add() { awk -v s="$1" -v x="$2" 'BEGIN {print s + x}'; }
for kind in actual preflight; do
	sum_a=0 sum_b=0 sum_c=0 cpu_a=0 cpu_b=0 cpu_c=0
	for round in $(seq "$ROUNDS"); do
		read -r a ca <<<"$(run A "$kind")"
		read -r b cb <<<"$(run B "$kind")"
		read -r c cc <<<"$(run C "$kind")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$a" "$b" "$c" "$(ratio "$b" "$a")" "$(ratio "$b" "$c")" \
			"$ca" "$cb" "$cc" "$(ratio "$ca" "$cb")" "$(ratio "$cc" "$cb")"
		sum_a=$(add "$sum_a" "$a") sum_b=$(add "$sum_b" "$b") sum_c=$(add "$sum_c" "$c")
		cpu_a=$(add "$cpu_a" "$ca") cpu_b=$(add "$cpu_b" "$cb") cpu_c=$(add "$cpu_c" "$cc")
	done
	printf '%s\tall\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$sum_a" "$sum_b" "$sum_c" "$(ratio "$sum_b" "$sum_a")" "$(ratio "$sum_b" "$sum_c")" \
		"$cpu_a" "$cpu_b" "$cpu_c" "$(ratio "$cpu_a" "$cpu_b")" "$(ratio "$cpu_c" "$cpu_b")"
done
