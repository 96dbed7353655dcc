#!/usr/bin/env bash
# Peak RSS of `brainburn run` against the number of steps (issue 17 item 3): wb_gamma (100 WB
# neurons, GABAa all to all) with one monitor sampled every 1000 steps, at 1e5, 1e6 and 3e6
# steps, then 10 s of COBA-HH (4000 HH neurons, 1e5 steps, every spike kept for spikes.csv).
# Peak RSS should not grow with the steps beyond the spikes' own 4-5 bytes each.
#
#   cargo build --release && benchmarks/memory_series.sh [path/to/brainburn]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/brainburn}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # file label
  rm -rf "$tmp/out"
  /usr/bin/time -f "%M" -o "$tmp/rss" "$bin" run "$1" --out "$tmp/out" --quiet > /dev/null
  python3 - "$tmp/out/summary.json" "$(cat "$tmp/rss")" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
spikes = sum(g["spike_count"] for g in s["groups"].values())
print(f"{sys.argv[3]}: steps={s['steps']} spikes={spikes} peak_rss={int(sys.argv[2]) / 1000:.1f} MB "
      f"engine={s['engine']} backend={s['backend']} precision={s['precision']}")
PY
}
for steps in 100000 1000000 3000000; do
  dur=$(python3 -c "print($steps * 0.01)")
  sed -e "s/^duration = .*/duration = $dur/" -e "s/^every = .*/every = 1000/" \
    examples/networks/wb_gamma.toml > "$tmp/wb.toml"
  run "$tmp/wb.toml" "wb_gamma"
done
sed -e "s/^duration = .*/duration = 10000/" examples/networks/coba_hh.toml > "$tmp/cobahh.toml"
run "$tmp/cobahh.toml" "coba_hh 10 s"
