#!/usr/bin/env bash
# Simulator at scale (docs/benchmarks.md, "Simulator at scale"): the IoTix engine with its real MQTT, CoAP and
# HTTP adapters against Debian's mosquitto, libcoap's coap-server-notls and a minimal Kestrel endpoint, with the
# measured peers in the same run.
#
#   bench/sim-scale.sh [OUT_DIR] [PARTS]      PARTS: comma list of 1,2,3,4 (default all)
#   env: HOLD1 (s, default 300) HOLD2 (300) PEER_HOLD (90) HOLD4 (80) DEVICES1 (19000) DEVICES2 (100000) SHARDS (6)
#        LAUNCH1 (part 1's launch, default immediate; e.g. batch:5:1 = 5,000 connects/s) PEER1 (1; 0 skips part 1's peer)
#
# 1. 19,000 MQTT devices in one process vs one mosquitto, QoS 1, every 10 s, held HOLD1; then the naive peer
#    (one MQTTnet IMqttClient per device) with the same devices against a fresh mosquitto.
# 2. 100,000 MQTT devices: SHARDS simulator processes against SHARDS mosquitto instances, QoS 1, held HOLD2,
#    one counting subscriber connection per instance.
# 3. Throughput, QoS 0: IoTix 1,000 devices every 10 ms and 100 devices every 1 ms (100,000 msg/s offered) vs MQTTnet
#    PublishAsync loops on 1/16/1000 connections; delivered = counted by a subscriber until the broker drained.
# 4. 10,000 CoAP devices (CON PUT) vs coap-server-notls and 10,000 HTTP devices (POST) vs Kestrel (204), 10 s.
#
# Loopback only. Every process runs under `timeout -s KILL` and is stopped by pid. About 25 minutes for all parts.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="${1:-$root/bench/results/sim-scale-$(date -u +%Y%m%d-%H%M%S)}"
parts="${2:-1,2,3,4}"
HOLD1=${HOLD1:-300}; HOLD2=${HOLD2:-300}; PEER_HOLD=${PEER_HOLD:-90}; HOLD4=${HOLD4:-80}
DEVICES1=${DEVICES1:-19000}; DEVICES2=${DEVICES2:-100000}; SHARDS=${SHARDS:-6}
LAUNCH1=${LAUNCH1:-immediate}; PEER1=${PEER1:-1}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/iotix-simscale.XXXXXX)
bench="dotnet $root/bench/IoTix.Bench/bin/Release/net10.0/IoTix.Bench.dll"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

need() { # binary package
  command -v "$1" >/dev/null && return 0
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q "$2" >/dev/null
}
need mosquitto mosquitto
need coap-server-notls libcoap3-bin
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

echo "Building bench/IoTix.Bench (Release)"
timeout -s KILL 600 dotnet build bench/IoTix.Bench/IoTix.Bench.csproj -c Release -nologo -v q >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }

ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # port pid
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
child_of() { # the process started by `timeout`
  for _ in $(seq 1 50); do
    local c; c=$(pgrep -P "$1" | head -1 || true)
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 0.1
  done
  return 1
}
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
listen_drops() { # TcpExt ListenOverflows ListenDrops (SYNs dropped because a listen queue was full)
  awk '/^TcpExt:/ { if (!h) { for (i=1;i<=NF;i++) n[$i]=i; h=1 } else { print $n["ListenOverflows"], $n["ListenDrops"] } }' /proc/net/netstat
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_mosquitto NAME BOUND_SECONDS -> sets MQ_PORT, MQ_PID
start_mosquitto() {
  MQ_PORT=$(free_port)
  cat >"$work/$1.conf" <<EOF
per_listener_settings false
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 100000
max_inflight_messages 100
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
listener $MQ_PORT 127.0.0.1
EOF
  timeout -s KILL "$2" "$mosquitto_bin" -c "$work/$1.conf" >"$work/$1.log" 2>&1 &
  pids+=($!)
  MQ_PID=$(child_of "$!")
  pids+=("$MQ_PID")
  wait_port "$MQ_PORT" "$MQ_PID" || { echo "mosquitto $1 did not start"; cat "$work/$1.log"; exit 1; }
}

# sampler FILE PID... : every 10 s, load average and (rss KB, cpu ticks) of each pid, in the background -> SAMPLER_PID
sampler() {
  local file=$1; shift
  ( while true; do
      line="$(date +%s) load $(cut -d' ' -f1-3 /proc/loadavg)"
      for p in "$@"; do line="$line | $p rss_kb $(rss_kb "$p") cpu_ticks $(cpu_ticks "$p")"; done
      echo "$line" >>"$file"
      sleep 10
    done ) &
  SAMPLER_PID=$!
  pids+=("$SAMPLER_PID")
}

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "kernel: $(uname -r)"
  echo "dotnet: $(dotnet --version)"
  echo "mosquitto: $("$mosquitto_bin" -h 2>/dev/null | head -1)"
  echo "libcoap: $(dpkg-query -W -f='${Version}' libcoap3-bin 2>/dev/null || echo '?')"
  echo "open files limit: $(ulimit -n)"
  echo "somaxconn: $(cat /proc/sys/net/core/somaxconn), tcp_max_syn_backlog: $(cat /proc/sys/net/ipv4/tcp_max_syn_backlog)"
  echo "load average at start: $(cat /proc/loadavg)"
} >"$out/machine.txt"
cat "$out/machine.txt"

has() { [[ ",$parts," == *",$1,"* ]]; }

# ---------------------------------------------------------------- 1: 19,000 devices, one process, vs naive MQTTnet peer
if has 1; then
  echo "== 1: $DEVICES1 MQTT devices in one process, QoS 1, every 10 s, launch $LAUNCH1, hold $HOLD1 s"
  local_addrs="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8,127.0.0.9"
  start_mosquitto p1-iotix $((HOLD1 + 300))
  mq1=$MQ_PID; port1=$MQ_PORT
  timeout -s KILL $((HOLD1 + 300)) $bench count-sub --brokers "127.0.0.1:$port1" --qos 1 --seconds $((HOLD1 + 240)) \
    --status-file "$work/p1-sub.status" >"$out/p1-iotix-sub.log" 2>&1 &
  pids+=($!); sub1=$!
  sleep 2
  sampler "$out/p1-iotix-procs.log" "$mq1"; s1=$SAMPLER_PID
  m0=$(cpu_ticks "$mq1")
  echo "listen overflows/drops before: $(listen_drops)" >"$out/p1-listen.txt"
  ( sleep 40; echo "listen overflows/drops 40 s after launch: $(listen_drops)" >>"$out/p1-listen.txt" ) &
  timeout -s KILL $((HOLD1 + 200)) $bench sim --devices "$DEVICES1" --port "$port1" --qos 1 --interval-ms 10000 \
    --local-addresses "$local_addrs" --launch "$LAUNCH1" --connect-timeout-ms 30000 --hold-seconds "$HOLD1" --warm-seconds 20 --sample-seconds 30 \
    --result "$out/p1-iotix.json" >"$out/p1-iotix.log" 2>&1 &
  simpid=$!; pids+=($simpid)
  wait $simpid || echo "sim exited with $?"
  sleep 3
  echo "subscriber: $(cat "$work/p1-sub.status")" | tee -a "$out/p1-iotix.log"
  echo "mosquitto cpu_ticks $(( $(cpu_ticks "$mq1") - m0 )) rss_kb_end $(rss_kb "$mq1")" | tee -a "$out/p1-iotix.log"
  kill "$s1" "$sub1" "$mq1" 2>/dev/null || true
  grep -E "^connected|^t=|Scheduler" "$out/p1-iotix.log" | head -20
  echo "listen overflows/drops at the end: $(listen_drops)" >>"$out/p1-listen.txt"
fi

if has 1 && [ "$PEER1" != "0" ]; then

  echo "== 1b: the naive peer: $DEVICES1 MQTTnet IMqttClient, QoS 1, every 10 s, hold $PEER_HOLD s"
  start_mosquitto p1-peer $((PEER_HOLD + 300))
  mq2=$MQ_PID; port2=$MQ_PORT
  timeout -s KILL $((PEER_HOLD + 300)) $bench count-sub --brokers "127.0.0.1:$port2" --qos 1 --seconds $((PEER_HOLD + 240)) \
    --status-file "$work/p1p-sub.status" >"$out/p1-peer-sub.log" 2>&1 &
  pids+=($!); sub2=$!
  sleep 2
  sampler "$out/p1-peer-procs.log" "$mq2"; s2=$SAMPLER_PID
  echo "peer: listen overflows/drops before: $(listen_drops)" >>"$out/p1-listen.txt"
  ( sleep 60; echo "peer: listen overflows/drops 60 s after start: $(listen_drops)" >>"$out/p1-listen.txt" ) &
  timeout -s KILL $((PEER_HOLD + 200)) $bench mqttnet-devices --devices "$DEVICES1" --port "$port2" --qos 1 --interval-ms 10000 \
    --local-addresses "$local_addrs" --connect-concurrency 1000 --hold-seconds "$PEER_HOLD" --warm-seconds 20 --sample-seconds 30 \
    --result "$out/p1-peer.json" >"$out/p1-peer.log" 2>&1 &
  peerpid=$!; pids+=($peerpid)
  wait $peerpid || echo "peer exited with $?"
  sleep 3
  echo "subscriber: $(cat "$work/p1p-sub.status")" | tee -a "$out/p1-peer.log"
  kill "$s2" "$sub2" "$mq2" 2>/dev/null || true
fi

# ---------------------------------------------------------------- 2: 100,000 devices, SHARDS processes, SHARDS brokers
if has 2; then
  echo "== 2: $DEVICES2 MQTT devices in $SHARDS processes against $SHARDS mosquitto instances, QoS 1, hold $HOLD2 s"
  brokers=""; mqs=(); ports=()
  for k in $(seq 0 $((SHARDS - 1))); do
    start_mosquitto "p2-mq$k" $((HOLD2 + 400))
    mqs+=("$MQ_PID"); ports+=("$MQ_PORT")
    brokers="$brokers${brokers:+,}127.0.0.1:$MQ_PORT"
  done
  timeout -s KILL $((HOLD2 + 400)) $bench count-sub --brokers "$brokers" --qos 1 --seconds $((HOLD2 + 330)) \
    --status-file "$work/p2-sub.status" >"$out/p2-sub.log" 2>&1 &
  pids+=($!); sub3=$!
  sleep 2
  sims=()
  per=$(( DEVICES2 / SHARDS ))
  for k in $(seq 0 $((SHARDS - 1))); do
    n=$per; [ "$k" -eq $((SHARDS - 1)) ] && n=$(( DEVICES2 - per * (SHARDS - 1) ))
    # Shard k: its own source addresses 127.0.(10+k).2-4 (about 5,600 connections each), its own broker.
    addrs="127.0.$((10 + k)).2,127.0.$((10 + k)).3,127.0.$((10 + k)).4"
    timeout -s KILL $((HOLD2 + 300)) $bench sim --devices "$n" --shard "$k" --port "${ports[$k]}" --qos 1 --interval-ms 10000 \
      --local-addresses "$addrs" --launch batch:300:1000 --connect-timeout-ms 30000 --hold-seconds "$HOLD2" --warm-seconds 20 --sample-seconds 30 \
      --result "$out/p2-shard$k.json" >"$out/p2-shard$k.log" 2>&1 &
    sims+=($!); pids+=($!)
  done
  sleep 1
  simpids=""; for p in "${sims[@]}"; do c=$(pgrep -P "$p" | head -1 || true); simpids="$simpids $c"; done
  # shellcheck disable=SC2086
  sampler "$out/p2-procs.log" "${mqs[@]}" $simpids; s3=$SAMPLER_PID
  for p in "${sims[@]}"; do wait "$p" || echo "shard exited with $?"; done
  sleep 5
  echo "subscriber: $(cat "$work/p2-sub.status")" | tee "$out/p2-summary.txt"
  for k in $(seq 0 $((SHARDS - 1))); do echo "mosquitto $k rss_kb $(rss_kb "${mqs[$k]}") cpu_ticks $(cpu_ticks "${mqs[$k]}")"; done | tee -a "$out/p2-summary.txt"
  free -m | tee -a "$out/p2-summary.txt"
  kill "$s3" "$sub3" "${mqs[@]}" 2>/dev/null || true
fi

# ---------------------------------------------------------------- 3: throughput vs a minimal MQTTnet publisher
if has 3; then
  echo "== 3: throughput, QoS 0: 1,000 devices every 10 ms vs MQTTnet PublishAsync loops"
  start_mosquitto p3 900
  mq3=$MQ_PID; port3=$MQ_PORT
  timeout -s KILL 900 $bench count-sub --brokers "127.0.0.1:$port3" --qos 0 --seconds 600 \
    --status-file "$work/p3-sub.status" >"$out/p3-sub.log" 2>&1 &
  pids+=($!); sub4=$!
  sleep 2
  : >"$out/p3-windows.txt"
  sub_count() { cut -d' ' -f2 "$work/p3-sub.status"; }
  drain() { # until the subscriber's count stays put for 3 s (at most 120 s)
    local last; last=$(sub_count); local still=0
    for _ in $(seq 1 120); do
      sleep 1
      local c; c=$(sub_count)
      if [ "$c" = "$last" ]; then still=$((still + 1)); [ $still -ge 3 ] && return 0; else still=0; last=$c; fi
    done
  }
  # name, count before, count after, start ms, end ms (publisher exited), drained ms, mosquitto ticks
  for c in 1 16 1000; do
    n0=$(sub_count); t0=$(now_ms); c0=$(cpu_ticks "$mq3")
    timeout -s KILL 120 $bench mqttnet-blast --connections "$c" --port "$port3" --qos 0 --payload-bytes 150 --seconds 15 \
      --result "$out/p3-blast$c.json" >"$out/p3-blast$c.log" 2>&1
    t1=$(now_ms); drain
    echo "blast$c $n0 $(sub_count) $t0 $t1 $(now_ms) $(( $(cpu_ticks "$mq3") - c0 ))" >>"$out/p3-windows.txt"
  done
  for shape in 1000:10 100:1; do
    devices=${shape%:*}; every=${shape#*:}
    n0=$(sub_count); t0=$(now_ms); c0=$(cpu_ticks "$mq3")
    timeout -s KILL 120 $bench sim --devices "$devices" --port "$port3" --qos 0 --interval-ms "$every" --launch "batch:$((devices / 10)):1" \
      --hold-seconds 20 --warm-seconds 5 --sample-seconds 5 --result "$out/p3-iotix-$devices.json" >"$out/p3-iotix-$devices.log" 2>&1
    t1=$(now_ms); drain
    echo "iotix-$devices $n0 $(sub_count) $t0 $t1 $(now_ms) $(( $(cpu_ticks "$mq3") - c0 ))" >>"$out/p3-windows.txt"
  done
  kill "$sub4" "$mq3" 2>/dev/null || true
fi

# ---------------------------------------------------------------- 4: CoAP and HTTP, 10,000 devices each
if has 4; then
  echo "== 4: 10,000 CoAP devices (CON PUT) vs coap-server-notls, 10,000 HTTP devices (POST) vs Kestrel 204, every 10 s"
  cport=$(free_udp_port)
  timeout -s KILL 400 coap-server-notls -A 127.0.0.1 -p "$cport" -d 20000 >"$work/coap.log" 2>&1 &
  pids+=($!); coap=$(child_of "$!"); pids+=("$coap")
  sleep 1
  c0=$(cpu_ticks "$coap")
  timeout -s KILL 300 $bench sim --protocol coap --devices 10000 --url "coap://127.0.0.1:$cport/d/\${deviceId}" --method PUT --qos 1 \
    --interval-ms 10000 --launch batch:100:100 --hold-seconds "$HOLD4" --warm-seconds 20 --sample-seconds 10 \
    --result "$out/p4-coap.json" >"$out/p4-coap.log" 2>&1
  echo "coap-server cpu_ticks $(( $(cpu_ticks "$coap") - c0 )) rss_kb $(rss_kb "$coap")" | tee -a "$out/p4-coap.log"
  kill "$coap" 2>/dev/null || true

  hport=$(free_port)
  timeout -s KILL 400 $bench http-sink --port "$hport" --seconds 300 --status-file "$work/http.status" >"$out/p4-http-sink.log" 2>&1 &
  pids+=($!); sinkpid=$!
  wait_port "$hport" "$sinkpid"
  timeout -s KILL 300 $bench sim --protocol http --devices 10000 --url "http://127.0.0.1:$hport/d/\${deviceId}" --method POST --qos 1 \
    --interval-ms 10000 --launch batch:100:100 --hold-seconds "$HOLD4" --warm-seconds 20 --sample-seconds 10 \
    --result "$out/p4-http.json" >"$out/p4-http.log" 2>&1
  sleep 2
  echo "kestrel: $(cat "$work/http.status")" | tee -a "$out/p4-http.log"
  kill "$sinkpid" 2>/dev/null || true; wait "$sinkpid" 2>/dev/null || true
fi

echo "load average at end: $(cat /proc/loadavg)" >>"$out/machine.txt"
python3 "$root/bench/sim-scale-report.py" "$out" >"$out/results.md" || echo "report failed"
cat "$out/results.md"
