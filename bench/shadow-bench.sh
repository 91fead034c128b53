#!/usr/bin/env bash
# SC-008: device shadow sync latency (desired update -> delta at the device), over MQTT and through the REST API.
#
#   bench/shadow-bench.sh [COUNT]     (default 500 updates per path; results: docs/benchmarks.md, "Shadows")
#
# Builds IoTix.Web and bench/IoTix.Bench.Broker in Release, starts the whole IoTix host (API + hosted broker, its own
# temporary SQLite database: every update is written through before the delta goes out) on free loopback ports,
# runs the probe and stops the host by pid. Every process runs under `timeout -s KILL`.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-500}"
work=$(mktemp -d /tmp/iotix-shadowbench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

dotnet build IoTix.Web -c Release -v q -nologo >/dev/null
dotnet build bench/IoTix.Bench.Broker -c Release -v q -nologo >/dev/null
mqtt=$(free_port); http=$(free_port)
# The API needs a caller: a throw-away administrator API key and JWT secret for this host only.
export IOTIX_API_KEY=$(openssl rand -hex 24)
JWT_SECRET=$(openssl rand -hex 32) IoTix__Admin__ApiKey="$IOTIX_API_KEY" \
timeout -s KILL 600 dotnet IoTix.Web/bin/Release/net10.0/iotix.dll --urls "http://127.0.0.1:$http" \
  --Broker:Listeners:Tcp:Port="$mqtt" --Broker:Listeners:WebSocket:Port=0 \
  --ConnectionStrings:IoTix="Data Source=$work/iotix.db" --Logging:LogLevel:Default=Warning >"$work/host.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$http/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
timeout -s KILL 600 dotnet bench/IoTix.Bench.Broker/bin/Release/net10.0/IoTix.Bench.Broker.dll shadow-sync "127.0.0.1:$mqtt" "$count" "http://127.0.0.1:$http"
