#!/usr/bin/env bash
# Starts and stops the stack as the operations guide describes, with readiness instead of sleeps:
#   ./run.sh start [app ...]   start in order (default: master ledger md_binance td_binance strategy_demo),
#                              each after the previous one is registered and ready
#   ./run.sh stop              ordered graceful shutdown: strategies, gateways, ledger, master
#   ./run.sh status            PM2's list and the master's registry
# PM2 is the project's own (node_modules/.bin/pm2); PM2_HOME, KF_HOME and KF_MASTER_PORT are honoured.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
PM2="$ROOT/node_modules/.bin/pm2"
KFC=(node "$ROOT/dist/cli/kfc.js")
DEFAULT_APPS=(master ledger md_binance td_binance strategy_demo)

location_of() {
  case "$1" in
    master) echo system/master/master/live ;;
    ledger) echo system/service/ledger/live ;;
    md_binance) echo md/binance/binance/live ;;
    td_binance) echo td/binance/my_account/live ;;
    strategy_demo) echo strategy/default/demo_spot/live ;;
    *) echo "run.sh: unknown app '$1' (known: ${DEFAULT_APPS[*]})" >&2; return 1 ;;
  esac
}

need_build() {
  [ -x "$PM2" ] || { echo "run.sh: PM2 is not installed; run: npm ci (in $ROOT)" >&2; exit 1; }
  [ -f "$ROOT/dist/cli/kfc.js" ] || { echo "run.sh: kfc is not built; run: npm run build (in $ROOT)" >&2; exit 1; }
}

case "${1:-}" in
  start)
    need_build
    shift
    apps=("$@")
    [ ${#apps[@]} -gt 0 ] || apps=("${DEFAULT_APPS[@]}")
    pairs=()
    for app in "${apps[@]}"; do pairs+=("$app.json" "$(location_of "$app")"); done
    # In order, each once the previous is registered and ready (wait_ready + the master's registry).
    node "$ROOT/dist/deploy/pm2-start.js" "${pairs[@]}"
    "${KFC[@]}" status
    ;;
  stop)
    need_build
    # As the guide's stop (SIGINT to the master), but through the master's API, and waiting for it;
    # kfc presents the master token from KF_HOME ($KF_HOME/system/master/master/token).
    "${KFC[@]}" shutdown
    ;;
  status)
    need_build
    "$PM2" list
    "${KFC[@]}" status
    ;;
  *)
    echo "usage: $0 start [app ...] | stop | status" >&2
    exit 2
    ;;
esac
