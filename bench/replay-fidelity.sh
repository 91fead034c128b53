#!/usr/bin/env bash
# SC-009 replay fidelity: publish N messages with irregular gaps into the IoTix broker (history on), replay them at
# original and at double pace to another topic, and compare each replayed message's arrival offset (mosquitto_sub,
# from the first arrival) with its captured offset (history API, from the first message).
#   bench/replay-fidelity.sh [N] [OUT_DIR]      (CONFIG=Debug to use a Debug build; results: docs/benchmarks.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n="${1:-300}"
out="${2:-$root/bench/results/replay-$(date -u +%Y%m%d-%H%M%S)}"
config="${CONFIG:-Release}"
mkdir -p "$out"
work=$(mktemp -d /tmp/iotix-replaybench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

[ "$config" = "Release" ] && dotnet build "$root/IoTix.Web" -c Release -v q -nologo >/dev/null
tcp=$(free_port); http=$(free_port)
cd "$root"
key=$(openssl rand -hex 24) # a throw-away administrator API key and JWT secret for this host only
JWT_SECRET=$(openssl rand -hex 32) IoTix__Admin__ApiKey="$key" \
Urls="http://127.0.0.1:$http" Broker__Listeners__Tcp__Port="$tcp" Broker__Listeners__WebSocket__Port=0 \
  ConnectionStrings__IoTix="Data Source=$work/iotix.db" HISTORY_TOPICS="bench/replay/src" Logging__LogLevel__Default=Warning \
  timeout -s KILL 900 "IoTix.Web/bin/$config/net10.0/iotix" >"$out/iotix.log" 2>&1 &
pids+=("$!")
api="http://127.0.0.1:$http/api/v1"
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null && break; sleep 0.5; done

# N messages, gaps 5..60 ms (seeded), over one connection.
python3 - "$n" <<'PY' | mosquitto_pub -h 127.0.0.1 -p "$tcp" -i replay-bench-pub -q 1 -t bench/replay/src -l
import random, sys, time
rnd = random.Random(9)
for i in range(int(sys.argv[1])):
    print(i, flush=True)
    time.sleep(rnd.uniform(0.005, 0.060))
PY
sleep 2
curl -sf -H "X-Api-Key: $key" "$api/history?topic=bench/replay/src&limit=1000" >"$out/history.json"

run() { # pace speed label
  local sub_out="$out/arrivals-$3.txt"
  timeout -s KILL 300 mosquitto_sub -h 127.0.0.1 -p "$tcp" -i "replay-bench-sub-$3" -t "bench/replay/$3" -q 1 -C "$n" -F '%U %p' >"$sub_out" &
  local sub=$!
  sleep 0.5
  local job
  job=$(curl -sf -H "X-Api-Key: $key" -H 'Content-Type: application/json' -d "{\"topic\":\"bench/replay/src\",\"targetTopic\":\"bench/replay/$3\",\"pace\":\"$1\"$( [ "$1" = scaled ] && echo ",\"speed\":$2")}" "$api/history/replays" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  wait "$sub"
  curl -sf -H "X-Api-Key: $key" "$api/history/replays/$job" >"$out/job-$3.json"
}
run original 1 original
run scaled 2 scaled2

python3 - "$out" <<'PY' | tee "$out/results.md"
import json, sys, statistics, datetime
out = sys.argv[1]
items = json.load(open(f"{out}/history.json"))["items"]
ts = [datetime.datetime.fromisoformat(i["timestamp"]).timestamp() for i in items]
captured = [(t - ts[0]) * 1000 for t in ts]
print("| replay | messages | span (ms) | order kept | arrival offset error p50 / p99 / max (ms) | job max lag (ms) |")
print("|---|---|---|---|---|---|")
for label, speed in (("original", 1.0), ("scaled2", 2.0)):
    rows = [l.split(" ", 1) for l in open(f"{out}/arrivals-{label}.txt").read().splitlines()]
    arrivals = [float(r[0]) for r in rows]
    payloads = [r[1] for r in rows]
    offsets = [(a - arrivals[0]) * 1000 for a in arrivals]
    errors = sorted(abs(offsets[i] - captured[i] / speed) for i in range(len(offsets)))
    job = json.load(open(f"{out}/job-{label}.json"))
    order = payloads == [str(i) for i in range(len(payloads))]
    p = lambda q: errors[min(len(errors) - 1, int(q * len(errors)))]
    print(f"| {label} (x{speed:g}) | {len(rows)} | {captured[-1] / speed:.0f} | {'yes' if order else 'NO'} | {p(0.5):.1f} / {p(0.99):.1f} / {errors[-1]:.1f} | {job['maxLagMs']:.1f} |")
PY
echo "results: $out"
