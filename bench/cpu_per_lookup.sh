#!/bin/bash
# Server CPU per look-up in one real uvicorn worker (docs/api.md, "The look-up in two queries").
#   bench/cpu_per_lookup.sh TREE PORT   (TREE: the source tree to serve; needs the database and the
#   ids.txt of a previous `bench/bench_api.py --name urrbmi_bench_lookup` run). Prints wrk's figures and
#   the worker's CPU time (utime + stime from /proc, 10 ms ticks) divided by the requests served.
if ! command -v wrk >/dev/null; then
  echo "未安装负载测试工具 wrk；请先安装：apt-get install wrk（Debian/Ubuntu）或 brew install wrk（macOS）" >&2
  echo "wrk (the load generator) is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS)" >&2
  exit 2
fi
TREE=$(realpath "$1"); PORT=$2
HERE=$(realpath "$(dirname "$0")")
PY=${PYTHON:-$HERE/../.venv/bin/python}
export PYTHONPATH=$TREE URRBMI_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/urrbmi_bench_lookup
cd $TREE
$PY -m uvicorn --factory urrbmi.interfaces.api:create_app --host 127.0.0.1 --port $PORT --no-access-log --log-level warning &
PID=$!
for i in $(seq 60); do curl -s -o /dev/null http://127.0.0.1:$PORT/api/v1/policies && break; sleep 0.5; done
TOKEN=$($PY -c "
from urrbmi.access import accounts; from urrbmi.db.session import get_engine
print(accounts.login(get_engine('$URRBMI_DATABASE_URL'),'bench_officer','bench-password-1','token').token)")
IDS=$(ls -t /tmp/urrbmi-bench-api-*/ids.txt | head -1)
BENCH_TOKEN=$TOKEN BENCH_IDS=$IDS wrk -t1 -c4 -d3s -s $HERE/wrk/lookup.lua http://127.0.0.1:$PORT >/dev/null
T0=$(awk '{print $14+$15}' /proc/$PID/stat)
OUT=$(BENCH_TOKEN=$TOKEN BENCH_IDS=$IDS wrk -t1 -c4 -d10s --latency -s $HERE/wrk/lookup.lua http://127.0.0.1:$PORT)
T1=$(awk '{print $14+$15}' /proc/$PID/stat)
N=$(echo "$OUT" | awk '/requests in/{print $1}')
echo "$OUT" | grep -E "Requests/sec|50%|99%"
echo "requests $N, server CPU $(( (T1-T0)*10 )) ms, per request: $(echo "scale=2; ($T1-$T0)*10/$N" | bc) ms"
kill $PID; wait $PID 2>/dev/null
