#!/bin/bash
# A 10,000-connect burst against `socketkit serve echo` in a network namespace of its own,
# with the kernel's listen-queue caps raised there: shows whether the burst is accepted
# without a listen-queue overflow when the kernel allows a queue larger than the burst.
# The namespace keeps the machine's sysctls and counters untouched. Needs root (unshare -n).
#
#   sudo bench/conns-burst-netns.sh [SOMAXCONN=16384] [BACKLOG=12000] [CONNECTIONS=10000]
#
# Prints the generator's verdict and the namespace's TcpExt ListenOverflows delta.
set -euo pipefail
if [ "${1:-}" != "--inside" ]; then
  exec unshare -n "$0" --inside "$@"
fi
shift
somaxconn=${1:-16384}
backlog=${2:-12000}
count=${3:-10000}
cd "$(dirname "$0")/.."
ip link set lo up
sysctl -qw net.core.somaxconn="$somaxconn"
sysctl -qw net.ipv4.tcp_max_syn_backlog="$somaxconn"
overflows() {
  awk '/^TcpExt:/ { for (i = 1; i <= NF; i++) col[$i] = i; getline; print $col["ListenOverflows"]; exit }' /proc/net/netstat
}
node bin/socketkit.js serve echo --tcp --host 127.0.0.1 --port 7007 --backlog "$backlog" \
  --max-connections "$count" --max-connections-per-ip 0 --accept-rate 0 -q &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/7007) 2>/dev/null; then break; fi
  sleep 0.1
done
before=$(overflows)
node bin/socketkit.js bench conns 127.0.0.1 7007 -c "$count" --burst "$count" --hold 2 -t 20 \
  -d 30 -w 1 --no-progress
after=$(overflows)
echo "somaxconn $somaxconn, backlog $backlog: ListenOverflows +$((after - before))"
