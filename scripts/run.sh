#!/usr/bin/env bash
# Starts the web app, the Celery worker and beat in the foreground; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
BIN=.venv/bin
mkdir -p .run
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

if [ -f dmarcapp/celery.py ]; then
  $BIN/celery -A dmarcapp worker --loglevel=INFO --concurrency=2 >.run/worker.log 2>&1 &
  pids+=($!)
  $BIN/celery -A dmarcapp beat --loglevel=INFO --schedule=.run/celerybeat-schedule >.run/beat.log 2>&1 &
  pids+=($!)
fi
# --timeout 30: no request does heavy work (uploads and readiness run in Celery), so a
# worker silent for 30 s is stuck, and gunicorn replaces it. See the README's "Web server".
$BIN/gunicorn dmarcapp.wsgi --bind "$HOST:$PORT" --workers 2 --timeout 30 --graceful-timeout 30 \
  --access-logfile - >.run/web.log 2>&1 &
pids+=($!)

for _ in $(seq 1 50); do
  curl -s -o /dev/null "http://$HOST:$PORT/login/" && break
  sleep 0.2
done
echo
echo "DMARC dashboard: http://$HOST:$PORT/"
# Only on a database without any user: creates a superuser and prints its random password, once.
$BIN/python manage.py ensure_login --url "http://$HOST:$PORT/"
echo "Logs: .run/web.log .run/worker.log .run/beat.log — Ctrl-C stops everything."
wait -n "${pids[@]}"
