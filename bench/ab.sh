#!/bin/bash
# ab.sh: BenchmarkServeHTTP of an earlier commit (A) against the working
# tree (B), alternating one round of each, so that both see the same
# machine. Prints the median ns/op of each case, B/A, and B/op and
# allocs/op of both.
#
#	bash bench/ab.sh <commit> [rounds] [benchtime]
set -euo pipefail
commit=${1:?usage: bash bench/ab.sh <commit> [rounds] [benchtime]}
rounds=${2:-10}
benchtime=${3:-0.3s}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/a"
git -C "$root" archive "$commit" | tar -x -C "$tmp/a"
(cd "$tmp/a" && go test -c -o "$tmp/a.test" .)
(cd "$root" && go test -c -o "$tmp/b.test" .)
for _ in $(seq "$rounds"); do
	for v in a b; do
		(cd "$root" && "$tmp/$v.test" -test.run '^$' -test.bench '^BenchmarkServeHTTP$' -test.benchmem -test.count 1 -test.benchtime "$benchtime") | sed -n "s/^Benchmark/$v /p"
	done
done > "$tmp/out"
python3 - "$tmp/out" <<'PY'
import re, statistics, sys, collections
ns = collections.defaultdict(list); mem = {}
for line in open(sys.argv[1]):
    m = re.match(r'(a|b) ServeHTTP/(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op', line)
    if m:
        v, case, t, b, a = m.groups()
        ns[case, v].append(float(t)); mem[case, v] = (b, a)
print("case\tA ns/op\tB ns/op\tB/A\tB/op A/B\tallocs/op A/B")
for case in dict.fromkeys(c for c, _ in ns):
    a, b = statistics.median(ns[case, 'a']), statistics.median(ns[case, 'b'])
    print(f"{case}\t{a:.1f}\t{b:.1f}\t{b/a:.3f}\t{mem[case,'a'][0]}/{mem[case,'b'][0]}\t{mem[case,'a'][1]}/{mem[case,'b'][1]}")
PY
