#!/bin/sh
# raspblock.sh OUT.json writes the WAF's default ruleset, the one ddpeer's
# go-libddwaf embeds, with "block" added to the on_match of its RASP rules
# (rasp-*: SQL injection, LFI, SSRF, command injection), which only detect
# by default. Run ddpeer with DD_APPSEC_RULES=OUT.json to have RASP block.
# Needs go, gunzip and jq.
set -eu
out=${1:?usage: raspblock.sh OUT.json}
dir=$(cd "$(dirname "$0")" && go list -m -f '{{.Dir}}' github.com/DataDog/go-libddwaf/v5)
gunzip -c "$dir/internal/ruleset/recommended.json.gz" |
	jq -c '(.rules[] | select(.id | startswith("rasp-")) | .on_match) |= ((. // []) + ["block"] | unique)' >"$out"
jq -r '"\(.metadata.rules_version // "?"): " + ([.rules[] | select(.id | startswith("rasp-")) | "\(.id) \(.on_match)"] | join(", "))' "$out"
