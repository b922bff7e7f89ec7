#!/usr/bin/env bash
# The export scenario of scripts/benchmark.sh: every case of the seeded city (a million archived
# ones) exported through the gateway as CSV and as XLSX by a city administrator's API key, with
# curl as the client, while the resident memory of each of `governance up`'s processes is sampled
# every 100 ms. Writes <results>/export.json: per format the seconds, the bytes, the rows (as the
# audit trail records them) and each process's peak resident memory in MB.
#
#   scripts/export-benchmark.sh BIN_DIR DATA_DIR PORT_OFFSET UP_PID RESULTS_DIR
set -euo pipefail
bin="$1" data="$2" offset="$3" up="$4" results="$5"
gateway="http://127.0.0.1:$((8080 + offset))"
key="$("$bin/governance" apikey create --data "$data" --name "export-benchmark-$$" --role city_admin --scope "" |
  tail -n 1)"
out="$(mktemp -d /tmp/governance-export.XXXXXX)"
trap 'rm -rf "$out"' EXIT

runs=()
for format in csv xlsx; do
  peaks="$out/peaks-$format.txt"
  : >"$peaks"
  start=$(date +%s.%N)
  curl -sS --fail-with-body -o "$out/cases.$format" -H "Authorization: Bearer $key" \
    "$gateway/exports/governance.grid.v1.GridService/ListCases?format=$format" &
  client=$!
  while kill -0 "$client" 2>/dev/null; do
    for pid in $(pgrep -P "$up"); do
      printf '%s %s\n' "$(basename "$(readlink -f /proc/"$pid"/exe)")" "$(ps -o rss= -p "$pid" | tr -d ' ')"
    done >>"$peaks"
    sleep 0.1
  done
  # A refused export's body is the gateway's error, which says why.
  wait "$client" || { echo "export $format refused: $(head -c 500 "$out/cases.$format")" >&2; exit 1; }
  end=$(date +%s.%N)
  bytes=$(stat -c %s "$out/cases.$format")
  runs+=("$format $start $end $bytes $peaks")
done

python3 - "$data" "$results/export.json" "${runs[@]}" <<'EOF'
import json, sqlite3, sys
data, target, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
audit = sqlite3.connect(f"{data}/gateway.sqlite")
rows = [r[0] for r in audit.execute(
    "SELECT target FROM audit_entry WHERE action = 'export governance.grid.v1.GridService/ListCases' ORDER BY seq")]
out = []
for index, run in enumerate(runs):
    fmt, start, end, size, peaks = run.split()
    peak = {}
    for line in open(peaks):
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            peak[parts[0]] = max(peak.get(parts[0], 0), int(parts[1]) / 1024)
    counted = rows[-len(runs) + index].split("; ")[1].split()[0] if len(rows) >= len(runs) else "?"
    out.append({"format": fmt, "seconds": float(end) - float(start), "bytes": int(size), "rows": int(counted),
                "peak_mb": peak})
json.dump(out, open(target, "w"), indent=1)
for run in out:
    print(f"export {run['format']}: {run['rows']:,} rows, {run['bytes'] / 1e6:,.1f} MB in {run['seconds']:.1f} s; "
          f"peak RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(run["peak_mb"].items())))
EOF
