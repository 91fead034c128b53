#!/usr/bin/env python3
"""Formats the outputs of bench/sim-scale.sh (OUT_DIR/*.json, subscriber logs) as results.md tables."""
import glob
import json
import os
import sys

out = sys.argv[1]


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.loads(f.read())


def last_sub_total(log):
    path = os.path.join(out, log)
    total = None
    if os.path.exists(path):
        for line in open(path):
            parts = line.split()
            if parts and parts[0].isdigit():
                total = (int(parts[1]), int(parts[2]), parts[3:])
    return total


def sub_rate(log, start_ms, end_ms):
    """Messages/s received between two instants, from the subscriber's per-second lines."""
    points = []
    for line in open(os.path.join(out, log)):
        parts = line.split()
        if parts and parts[0].isdigit():
            points.append((int(parts[0]), int(parts[1])))
    inside = [p for p in points if start_ms <= p[0] <= end_ms]
    if len(inside) < 2:
        return float("nan")
    (t0, c0), (t1, c1) = inside[0], inside[-1]
    return (c1 - c0) * 1000.0 / (t1 - t0)


def f(x, digits=1):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}"


print("# Simulator at scale: results\n")
print("```")
print(open(os.path.join(out, "machine.txt")).read().strip())
print("```\n")

# ---- 1
iotix, peer = load("p1-iotix.json"), load("p1-peer.json")
if iotix:
    print("## 1. 19,000 devices in one process, QoS 1, every 10 s\n")
    print("| implementation | devices connected | connect time to last (s) | connects/s (to last) | unexpected disconnects | RSS/device (KB) | managed heap/device (KB) | CPU steady (% of one core) | CPU µs/message | messages/s | threads | window (s) | published / acked (at end) | subscriber received |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r, sub in ((iotix, "p1-iotix-sub.log"), (peer, "p1-peer-sub.log")):
        if not r:
            continue
        received = last_sub_total(sub)
        pub = r.get("publishedFinal")
        print(f"| {r['implementation']} | {f(r['connected'])} | {f(r['connectSeconds'], 2)} | {f(r['connectsPerSecond'], 0)} | {r['unexpectedTransitions']} | {f(r['rssPerDeviceKB'], 2)} | {f(r['heapPerDeviceKB'], 2)} | {f(r['cpuPercentOfCore'], 1)} | {f(r.get('cpuMicrosecondsPerMessage'), 1)} | {f(r['messagesPerSecond'], 0)} | {r['threads']} | {r['windowSeconds']} | {f(r['publishedAtEnd'])} / {f(r['ackedAtEnd'])} | {f(received[0]) if received else '-'} (final published {f(pub)}) |")
    if peer and iotix.get('cpuMicrosecondsPerMessage') and peer.get('cpuMicrosecondsPerMessage'):
        print()
        print(f"Ratios IoTix / MQTTnet client per device: RSS per device {iotix['rssPerDeviceKB'] / peer['rssPerDeviceKB']:.2f}, "
              f"CPU {iotix['cpuPercentOfCore'] / peer['cpuPercentOfCore']:.2f}, CPU per message {iotix['cpuMicrosecondsPerMessage'] / peer['cpuMicrosecondsPerMessage']:.2f}, "
              f"connect rate {iotix['connectsPerSecond'] / max(1, peer['connectsPerSecond']):.2f}")
    if iotix.get('seconds99'):
        print(f"\nIoTix connect: half by {iotix['secondsHalf']} s, 99 % by {iotix['seconds99']} s ({iotix['connectsPerSecond99']:,.0f}/s to 99 %), last at {iotix['connectSeconds']} s; failed at start {iotix['failedAtStart']} {iotix.get('failureReasons') or ''}")
    if os.path.exists(os.path.join(out, "p1-listen.txt")):
        print("\n```\n" + open(os.path.join(out, "p1-listen.txt")).read().strip() + "\n```")
    print(f"\nIoTix engine: sent {f(iotix['engineSentFinal'])}, failed {iotix['engineFailedFinal']}, adapter published {f(iotix['publishedFinal'])}, dropped {iotix['droppedFinal']}, connect failures {iotix['connectFailures']}, scheduler overruns {iotix['schedulerOverruns']}, launch CPU {iotix['launchCorePercent']} % of a core, RSS {iotix['rssBaselineMB']} -> {iotix['rssEndMB']} MB (peak {iotix['rssPeakHwmMB']}), load at end {iotix['loadAverageEnd']}\n")

# ---- 2
shards = sorted(glob.glob(os.path.join(out, "p2-shard*.json")))
if shards:
    rows = [json.loads(open(p).read()) for p in shards]
    print("## 2. 100,000 devices: shards x mosquitto instances, QoS 1, every 10 s\n")
    print("| shard | devices | connected | connect time (s) | connects/s | unexpected disconnects | connect failures | RSS/device (KB) | RSS end (MB) | CPU steady (% of one core) | engine sent | published | dropped | acked at end |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['shard']} | {f(r['devices'])} | {f(r['connected'])} | {f(r['connectSeconds'], 1)} | {f(r['connectsPerSecond'], 0)} | {r['unexpectedTransitions']} | {r['connectFailures']} | {f(r['rssPerDeviceKB'], 2)} | {f(r['rssEndMB'], 0)} | {f(r['cpuPercentOfCore'], 1)} | {f(r['engineSentFinal'])} | {f(r['publishedFinal'])} | {r['droppedFinal']} | {f(r['ackedAtEnd'])} |")
    sub = last_sub_total("p2-sub.log")
    tot = lambda k: sum(r[k] for r in rows)
    print(f"| **total** | {f(tot('devices'))} | {f(tot('connected'))} | | | {tot('unexpectedTransitions')} | {tot('connectFailures')} | | {f(tot('rssEndMB'), 0)} | {f(tot('cpuPercentOfCore'), 1)} | {f(tot('engineSentFinal'))} | {f(tot('publishedFinal'))} | {tot('droppedFinal')} | {f(tot('ackedAtEnd'))} |")
    if sub:
        print(f"\nSubscribers received {f(sub[0])} (DUP {sub[1]}; per instance {' '.join(sub[2])}); simulators published {f(tot('publishedFinal'))}: difference {tot('publishedFinal') - sub[0]}.\n")
    if os.path.exists(os.path.join(out, "p2-summary.txt")):
        print("```\n" + open(os.path.join(out, "p2-summary.txt")).read().strip() + "\n```\n")

# ---- 3
win = os.path.join(out, "p3-windows.txt")
if os.path.exists(win):
    points = []
    for line in open(os.path.join(out, "p3-sub.log")):
        parts = line.split()
        if parts and parts[0].isdigit():
            points.append((int(parts[0]), int(parts[1])))

    def delivery(n0, n1):
        """Delivered messages / time from the first to the last one counted (1 s resolution)."""
        first = next((t for t, c in points if c > n0), None)
        last = next((t for t, c in points if c >= n1), None)
        if first is None or last is None or last <= first:
            return float("nan"), 0
        return (n1 - n0) * 1000.0 / (last - first + 1000), (last - first + 1000) / 1000.0

    print("## 3. Throughput, QoS 0, one mosquitto, counting subscriber\n")
    print("| publisher | connections | offered | sender wrote (msg/s) | delivered (msg) | delivery time (s) | delivered rate (msg/s) | sender CPU (% of one core) | sender CPU µs/message | mosquitto CPU (% of one core, run + drain) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    best = 0.0
    rates = {}
    for line in open(win):
        name, n0, n1, t0, t1, t2, ticks = line.split()
        n0, n1, t0, t1, t2, ticks = int(n0), int(n1), int(t0), int(t1), int(t2), int(ticks)
        mosq = ticks / 100.0 / ((t2 - t0) / 1000.0) * 100
        rate, span = delivery(n0, n1)
        if name.startswith("blast"):
            r = load(f"p3-{name}.json")
            best = max(best, rate)
            print(f"| MQTTnet PublishAsync loop | {r['connections']} | unbounded | {f(r['messagesPerSecond'], 0)} | {f(n1 - n0)} | {span:.0f} | {f(rate, 0)} | {f(r['cpuPercentOfCore'], 1)} | {f(r['cpuMicrosecondsPerMessage'], 2)} | {mosq:.0f} |")
        else:
            r = load(f"p3-{name}.json")
            rates[name] = rate
            print(f"| IoTix, {f(r['devices'])} devices every {r['intervalMs']} ms | {f(r['devices'])} | {f(r['offeredPerSecond'], 0)}/s | {f(r['messagesPerSecond'], 0)} | {f(n1 - n0)} (engine sent {f(r['engineSentFinal'])}, queue-full {f(r['engineFailedFinal'])}) | {span:.0f} | {f(rate, 0)} | {f(r['cpuPercentOfCore'], 1)} | {f(r['cpuMicrosecondsPerMessage'], 2)} | {mosq:.0f} |")
    print()
    for name, rate in rates.items():
        r = load(f"p3-{name}.json")
        print(f"- {name}: delivered rate / best MQTTnet loop = {rate / best:.2f}; scheduler overruns {r['schedulerOverruns']}")
    print()

# ---- 4
for proto in ("coap", "http"):
    r = load(f"p4-{proto}.json")
    if not r:
        continue
    if proto == "coap":
        print("## 4. CoAP and HTTP, 10,000 devices every 10 s\n")
        print("| protocol | server | devices | offered (msg/s) | sent (msg/s) | confirmed 2.xx (msg/s) | RSS/device (KB) | managed heap/device (KB) | CPU (% of one core) | CPU µs/message | details at end of window |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
    server = "coap-server-notls" if proto == "coap" else "Kestrel 204"
    print(f"| {proto} | {server} | {f(r['devices'])} | {f(r['offeredPerSecond'], 0)} | {f(r['messagesPerSecond'], 0)} | {f(r['deliveredPerSecond'], 0)} | {f(r['rssPerDeviceKB'], 2)} | {f(r['heapPerDeviceKB'], 2)} | {f(r['cpuPercentOfCore'], 1)} | {f(r.get('cpuMicrosecondsPerMessage'), 1)} | {r['detailAtEnd']} |")
