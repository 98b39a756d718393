/**
 * The whole stack in one PM2 file, for `pm2 start scripts/ecosystem.config.cjs` and for containers
 * (`pm2-runtime start scripts/ecosystem.config.cjs`). PM2 may start these apps at once: each process
 * waits for the master (logging "waiting for master at ..."), so the order still holds.
 *
 * Production: watch is off and CLEAR_JOURNAL is never set here (history is kept). For development
 * with auto-restart and a fresh journal per start, use scripts/binance_test/*.json and run.sh.
 */
const path = require('node:path');

const root = path.join(__dirname, '..');
const kfc = path.join(root, 'dist', 'cli', 'kfc.js');

const app = (name, args, extra = {}) => ({
  name,
  cwd: root,
  script: kfc,
  exec_interpreter: 'node',
  args,
  watch: false,
  wait_ready: true,
  listen_timeout: 15000,
  kill_timeout: 20000,
  autorestart: true,
  exp_backoff_restart_delay: 100,
  // PM2's in-process agent (pm2-io-bpm, bundled with PM2: about 1.4 MB of V8 heap and several MB of
  // RSS, and a timer every second) and source maps of dist/ come out of each process's 60 MB
  // budget; kfc's errors are one line, and pm2 list reads CPU and memory from outside.
  pmx: false,
  disable_source_map_support: true,
  env: {},
  ...extra,
});

module.exports = {
  apps: [
    // PM2's stop of the master comes as a message, so that it can tell `pm2 restart master` (the
    // master alone; the processes re-register) from stopping the stack (the ordered shutdown).
    app('master', '-l info master', { shutdown_with_message: true }),
    app('ledger', '-l info ledger'),
    app('md_binance', '-l info md -s binance'),
    // Exit code 2 is a user error (no such account, a broken config): restarting cannot fix it.
    app('td_binance', '-l info td -s binance -a my_account', { stop_exit_codes: [2] }),
    app('strategy_demo', `-l info strategy -s demo_spot -p ${path.join(root, 'strategies', 'demo_spot.ts')}`),
  ],
};
