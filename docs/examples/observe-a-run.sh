#!/usr/bin/env bash
# Reproduces metrics-mid-run.txt and trace-brief-to-pin.json: a sandbox answering in 400 ms, a
# worker (2 processes x 4 threads) with Prometheus metrics and console tracing, one brief and 60
# posts of one channel; /metrics is scraped 2.5 s in, while most posts are parked for a turn.
# Run from the repository's root with the project installed; leaves its files in $OUT.
set -euo pipefail
ROOT=$(pwd)
OUT=${OUT:-$(mktemp -d)}
cd "$OUT"
pinterest-agent sandbox --port 8875 --latency-ms 400 --env-file sandbox.env > sandbox.log 2>&1 &
SANDBOX=$!
trap 'kill $SANDBOX 2>/dev/null || true' EXIT
until [ -s sandbox.env ] || ! kill -0 $SANDBOX 2>/dev/null; do sleep 0.2; done
. ./sandbox.env
export PINTEREST_AGENT_METRICS_ENABLED=true PINTEREST_AGENT_METRICS_PORT=9391
export PINTEREST_AGENT_TRACING_ENABLED=true PINTEREST_AGENT_TRACING_EXPORTER=console
cp -r "$ROOT/fixtures" .
pinterest-agent channels add --channel shop --board "$PINTEREST_AGENT_SANDBOX_BOARD"
pinterest-agent worker --processes 2 --threads 4 > worker.log 2>&1 &   # spans go to its stdout
WORKER=$!
sleep 4
pinterest-agent enqueue brief fixtures/walkthrough/brief.json
python - <<'PY'
import json, os
from pinterest_agent.queues.jobs.actors import build_broker
from pinterest_agent.queues.jobs.enqueue import enqueue_post
from pinterest_agent.queues.settings import Settings
settings = Settings()
broker = build_broker(settings)
text = open("fixtures/walkthrough/post.json").read()
for key in ("PINTEREST_AGENT_SANDBOX_HTTPS_URL", "PINTEREST_AGENT_SANDBOX_URL"):
    text = text.replace("${%s}" % key, os.environ[key])
post = json.loads(text)
for i in range(60):  # 60 products of one channel
    post.update(post_id=f"demo-post-{i}", title=f"Linen summer dress no. {i} with pockets")
    enqueue_post(settings, post, broker=broker)
PY
sleep 2.5
curl -s http://127.0.0.1:9391/metrics > metrics-mid-run.txt
pinterest-agent jobs wait walkthrough-waffle-towel
kill $WORKER; wait $WORKER || true
echo "metrics: $OUT/metrics-mid-run.txt; spans: $OUT/worker.log"
