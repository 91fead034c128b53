#!/usr/bin/env bash
# SC-010: rule evaluations per second through the hosted broker's publish path. Builds and runs bench/IoTix.Bench.Rules
# (broker, rules engine and MQTT publishers in one process, loopback TCP) and saves the table under bench/results/.
# Usage: bench/rules-bench.sh [--rates 5000,10000,20000] [--rules 1,4] [--seconds 10] [--publishers 4]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/IoTix.Bench.Rules -v q -nologo >/dev/null
out="bench/results/rules-$(date -u +%Y%m%d-%H%M%S).md"
mkdir -p bench/results
timeout 900 dotnet bench/IoTix.Bench.Rules/bin/Release/net10.0/IoTix.Bench.Rules.dll "$@" | tee "$out"
echo "saved $out"
