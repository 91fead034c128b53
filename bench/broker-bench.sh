#!/usr/bin/env bash
# IoTix broker vs Debian's mosquitto, one load generator, one run (results: docs/benchmarks.md, "Broker").
#
#   bench/broker-bench.sh [OUT_DIR] [-- extra generator options, e.g. --connections 2000 --rates 10000,20000]
#
# Builds IoTix.Web and bench/IoTix.Bench.Broker in Release, starts the IoTix broker (`iotix broker`, default
# features, plain + TLS listeners) and mosquitto (temp config: plain + TLS listener with the same certificates),
# runs every phase against both and writes OUT_DIR/results.md, results.json, machine.txt and the broker logs.
# Loopback only; every peer runs under `timeout -s KILL` and is stopped by pid. About 6-10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${1:-$root/bench/results/broker-$(date -u +%Y%m%d-%H%M%S)}"
shift $(( $# > 0 ? 1 : 0 ))
[ "${1:-}" = "--" ] && shift
extra=("$@")
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/iotix-brokerbench.XXXXXX)
limit=900   # hard bound (s) for every process this script starts

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if ! command -v mosquitto >/dev/null; then
  echo "Installing mosquitto"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q mosquitto mosquitto-clients >/dev/null
  $SUDO systemctl stop mosquitto >/dev/null 2>&1 || $SUDO service mosquitto stop >/dev/null 2>&1 || true
fi
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

echo "Building (Release)"
timeout -s KILL 600 dotnet build IoTix.Web/IoTix.Web.csproj -c Release -nologo -v q >"$work/build-web.log" 2>&1 || { tail -30 "$work/build-web.log"; exit 1; }
timeout -s KILL 600 dotnet build bench/IoTix.Bench.Broker/IoTix.Bench.Broker.csproj -c Release -nologo -v q >"$work/build-bench.log" 2>&1 || { tail -30 "$work/build-bench.log"; exit 1; }

# Certificates for both TLS listeners; readable by the mosquitto user (mosquitto drops root privileges).
deploy/certs/generate.sh "$work/certs" localhost bench-client >/dev/null
chmod 755 "$work" "$work/certs"; chmod 644 "$work/certs"/*

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # port, pid
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
child_of() { # the broker process started by `timeout`
  for _ in $(seq 1 50); do
    local c; c=$(pgrep -P "$1" | head -1 || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.1
  done
  return 1
}

ulimit -n "$(ulimit -Hn)"
iotix_tcp=$(free_port); iotix_tls=$(free_port); iotix_http=$(free_port)
mosq_tcp=$(free_port); mosq_tls=$(free_port); bare_tcp=$(free_port)

# IoTix broker exactly as users run it, default features (metrics on, ACL off, connection rate limit on).
env Broker__BindAddress=127.0.0.1 \
    Broker__Listeners__Tcp__Port="$iotix_tcp" Broker__Listeners__Tls__Port="$iotix_tls" \
    Broker__Listeners__WebSocket__Port=0 Broker__Listeners__SecureWebSocket__Port=0 \
    Broker__Tls__CertificateFile="$work/certs/server.crt" Broker__Tls__KeyFile="$work/certs/server.key" \
    Urls="http://127.0.0.1:$iotix_http" \
    timeout -s KILL "$limit" IoTix.Web/bin/Release/net10.0/iotix broker >"$out/iotix-broker.log" 2>&1 &
pids+=($!)
iotix_pid=$(child_of "$!")
pids+=("$iotix_pid")

cat >"$work/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 100000
persistence false
log_dest stderr
listener $mosq_tcp 127.0.0.1
listener $mosq_tls 127.0.0.1
certfile $work/certs/server.crt
keyfile $work/certs/server.key
EOF
timeout -s KILL "$limit" "$mosquitto_bin" -c "$work/mosquitto.conf" >"$out/mosquitto.log" 2>&1 &
pids+=($!)
mosq_pid=$(child_of "$!")
pids+=("$mosq_pid")

# Bare MQTTnet 5 server (same session settings, server GC and thread-pool spin setting as IoTix, no IoTix code):
# splits MQTTnet's own per-message cost from what IoTix adds. Message phases only.
DOTNET_gcServer=1 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 timeout -s KILL "$limit" dotnet bench/IoTix.Bench.Broker/bin/Release/net10.0/IoTix.Bench.Broker.dll \
  serve-mqttnet "$bare_tcp" >"$out/mqttnet-broker.log" 2>&1 &
pids+=($!)
bare_pid=$(child_of "$!")
pids+=("$bare_pid")

wait_port "$iotix_tcp" "$iotix_pid" || { echo "IoTix broker did not start"; tail -20 "$out/iotix-broker.log"; exit 1; }
wait_port "$iotix_tls" "$iotix_pid" || { echo "IoTix TLS listener did not start"; tail -20 "$out/iotix-broker.log"; exit 1; }
wait_port "$mosq_tcp" "$mosq_pid" || { echo "mosquitto did not start"; tail -20 "$out/mosquitto.log"; exit 1; }
wait_port "$bare_tcp" "$bare_pid" || { echo "bare MQTTnet server did not start"; tail -20 "$out/mqttnet-broker.log"; exit 1; }

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "dotnet: $(dotnet --version)"
  echo "mosquitto: $("$mosquitto_bin" -h 2>/dev/null | head -1)"
  echo "open files limit: $(ulimit -n)"
  echo "load average at start: $(cat /proc/loadavg)"
  echo "busiest processes at start:"
  ps -eo pcpu,comm --sort=-pcpu | head -8
} >"$out/machine.txt"
cp "$work/mosquitto.conf" "$out/mosquitto.conf"

echo "IoTix broker pid $iotix_pid (tcp $iotix_tcp, tls $iotix_tls); mosquitto pid $mosq_pid (tcp $mosq_tcp, tls $mosq_tls); bare MQTTnet pid $bare_pid (tcp $bare_tcp)"
timeout -s KILL "$limit" dotnet bench/IoTix.Bench.Broker/bin/Release/net10.0/IoTix.Bench.Broker.dll \
  --iotix-tcp "127.0.0.1:$iotix_tcp" --iotix-tls "127.0.0.1:$iotix_tls" --iotix-pid "$iotix_pid" \
  --mosquitto-tcp "127.0.0.1:$mosq_tcp" --mosquitto-tls "127.0.0.1:$mosq_tls" --mosquitto-pid "$mosq_pid" \
  --mqttnet-tcp "127.0.0.1:$bare_tcp" --mqttnet-pid "$bare_pid" \
  --ca "$work/certs/ca.crt" --out "$out" "${extra[@]}" 2>&1 | tee "$out/bench.log"
status=${PIPESTATUS[0]}

{
  echo "load average at end: $(cat /proc/loadavg)"
  echo "IoTix metrics at end:"
  curl -s "http://127.0.0.1:$iotix_http/metrics" 2>/dev/null | grep -E '^iotix_broker_(messages|connections)' | head -20 || true
} >>"$out/machine.txt"
kill -0 "$iotix_pid" 2>/dev/null || echo "WARNING: the IoTix broker exited during the run" | tee -a "$out/machine.txt"
kill -0 "$mosq_pid" 2>/dev/null || echo "WARNING: mosquitto exited during the run" | tee -a "$out/machine.txt"
echo "Results in $out"
exit "$status"
