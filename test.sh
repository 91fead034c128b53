#!/usr/bin/env bash
# IoTix test command: installs what the tests need (Debian packages), builds, runs every test,
# and ends with one plain line "N passed, M failed". A skipped test counts as failed: a test
# whose dependency is missing is a failure of this script, not a pass.
set -uo pipefail
cd "$(dirname "$0")"

# Real peers the integration tests start on loopback.
PACKAGES=(postgresql mosquitto mosquitto-clients libcoap3-bin chromium influxdb python3-paho-mqtt openssl)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing test dependencies: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null || echo "apt-get update failed; trying the install anyway"
  if ! $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/tmp/iotix-apt.log 2>&1; then
    tail -20 /tmp/iotix-apt.log
    echo "0 passed, 1 failed"
    exit 1
  fi
  # Debian starts the services it installs; the tests start their own instances on other ports.
  for svc in mosquitto influxdb postgresql; do
    $SUDO systemctl stop "$svc" >/dev/null 2>&1 || $SUDO service "$svc" stop >/dev/null 2>&1 || true
  done
fi

log=$(mktemp)
dotnet test IoTix.sln -c Release --blame-hang-timeout 10m 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Sum dotnet's per-assembly summaries: "Passed!  - Failed: 0, Passed: 12, Skipped: 0, ...".
read -r passed failed skipped < <(grep -E '(Passed|Failed)! +- +Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' |
  awk '{f+=$1; p+=$2; s+=$3} END {print p+0, f+0, s+0}')
rm -f "$log"

if [ "$skipped" -gt 0 ]; then
  echo "$skipped test(s) were skipped; a skipped test counts as failed."
  failed=$((failed + skipped))
  [ "$rc" -eq 0 ] && rc=1
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any summary: say so as a failure.
  failed=1
fi
echo "$passed passed, $failed failed"
exit "$rc"
