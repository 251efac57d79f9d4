#!/usr/bin/env bash
# Installs rasp-instrument, builds the bundled product service
# (testdata/src/webapp) with it, starts it in block mode, and sends it one
# benign request and a few attacks.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go install ./cmd/rasp-instrument"
go install ./cmd/rasp-instrument
export PATH="$(go env GOPATH)/bin:$PATH"

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
echo "== go build -toolexec=rasp-instrument (testdata/src/webapp; the first build compiles SQLite, give it a few minutes)"
(cd testdata/src/webapp && go build -toolexec=rasp-instrument -o "$work/webapp" .)

echo "hello" > "$work/hello.txt"
RASP_MODE=block "$work/webapp" -addr 127.0.0.1:0 -data "$work" > "$work/out" 2> "$work/events" &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$work/out")

get() {
	local path=$1
	code=$(go run ./scripts/get "http://$addr$path")
	printf '%-70s -> %s\n' "GET $path" "$code"
}
echo "== requests (RASP_MODE=block)"
get "/products?name=apple"
get "/products?name=x%27%20OR%20%271%27=%271"
get "/ping?host=localhost%3Bcat%20/etc/passwd"
get "/file?name=../../../../etc/passwd"
get "/fetch?url=http://169.254.169.254/latest/meta-data/"
echo "== events"
cat "$work/events"
