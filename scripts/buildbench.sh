#!/usr/bin/env bash
# Measures cold and warm build time, plain and instrumented, of
# testdata/src/webapp and of this repository's cmd/rasp-instrument, each
# cold build with a fresh GOCACHE, and the tool's own peak RSS. Run it on a
# quiet machine: bash scripts/buildbench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/rasp-instrument" ./cmd/rasp-instrument
export PATH="$work/bin:$PATH"

secs() { local s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }

bench() { # name dir pkg
	local name=$1 dir=$2 pkg=$3
	cd "$dir"
	local pc=$(GOCACHE=$work/c-$name-plain secs go build -o "$work/$name.plain" "$pkg")
	local pw=$(GOCACHE=$work/c-$name-plain secs go build -o "$work/$name.plain" "$pkg")
	local ic=$(GOCACHE=$work/c-$name-rasp RASP_CACHE=$work/r-$name RASP_TRACE=$work/$name.trace secs go build -toolexec=rasp-instrument -o "$work/$name.rasp" "$pkg")
	local iw=$(GOCACHE=$work/c-$name-rasp RASP_CACHE=$work/r-$name secs go build -toolexec=rasp-instrument -o "$work/$name.rasp" "$pkg")
	local rss=$(awk -F'\t' '$4>m{m=$4} END{print m}' "$work/$name.trace")
	local sp=$(stat -c %s "$work/$name.plain") si=$(stat -c %s "$work/$name.rasp")
	printf '%-16s cold plain %6.1fs rasp %6.1fs (%.2fx) | warm plain %5.2fs rasp %5.2fs | tool peak RSS %d MiB | binary +%d KiB\n' \
		"$name" "$pc" "$ic" "$(echo "$ic / $pc" | bc -l)" "$pw" "$iw" "$((rss / 1024))" "$(((si - sp) / 1024))"
	cd "$root"
}
go version
bench webapp "$root/testdata/src/webapp" .
bench rasp-instrument "$root" ./cmd/rasp-instrument
