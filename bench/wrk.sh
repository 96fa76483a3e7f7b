#!/usr/bin/env bash
# End-to-end cost of the cors module: builds Caddy with it, serves the same
# site with and without `cors` on 127.0.0.1, and loads each with wrk in
# alternating runs (A B A B ...), for actual requests and for preflights.
# Bounded: ROUNDS x 2 sites x 2 request kinds x SECONDS (default 3 x 2 x 2 x 8 s).
#
#	bash bench/wrk.sh            # needs wrk: apt-get install -y wrk
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
CONNECTIONS=${CONNECTIONS:-32}
PORT=9380
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

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
site "" >"$work/A.caddyfile"
site 'cors https://app.example.com {
		credentials
		max_age 10m
	}' >"$work/B.caddyfile"

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

run() { # site kind -> requests/s
	"$work/caddy" run --config "$work/$1.caddyfile" --adapter caddyfile >"$work/caddy.log" 2>&1 &
	echo $! >"$work/pid"
	for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
	wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$work/$2.lua" "http://127.0.0.1:$PORT/" |
		awk '/^Requests\/sec/ {print $2}'
	kill "$(cat "$work/pid")"; wait "$(cat "$work/pid")" 2>/dev/null || true
}

printf 'kind\tround\twithout_cors\twith_cors\tratio\n'
for kind in actual preflight; do
	sum_a=0 sum_b=0
	for round in $(seq "$ROUNDS"); do
		a=$(run A "$kind")
		b=$(run B "$kind")
		printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$round" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b/a}')"
		sum_a=$(awk -v s="$sum_a" -v a="$a" 'BEGIN {print s + a}')
		sum_b=$(awk -v s="$sum_b" -v b="$b" 'BEGIN {print s + b}')
	done
	printf '%s\tall\t%s\t%s\t%s\n' "$kind" "$sum_a" "$sum_b" "$(awk -v a="$sum_a" -v b="$sum_b" 'BEGIN {printf "%.3f", b/a}')"
done
