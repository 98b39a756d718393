/**
 * `npm start`: the whole stack trading on the simulated exchange, offline, in one command.
 *
 *   1. the simulated exchange under PM2 (scripts/binance_test/sim.json), unless one answers already;
 *   2. the demo account `binance_my_account`, pointing at it (created if missing; an account of the
 *      same name that points elsewhere stops the demo: it trades on the simulator only);
 *   3. master, ledger, MD, TD and the demo strategy under PM2, in order, from the same app files
 *      as run.sh (scripts/binance_test/*.json);
 *   4. the books, then the demo's orders and fills as they happen, and a summary every 5 s;
 *      Ctrl-C (or SIGTERM) stops everything in order: strategies, gateways, ledger, master, sim.
 * `npm stop` (scripts/stop.mjs) stops the same, from another terminal.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { books, shutdownMaster } from '../cli/master-api.js';
import { formatBooks } from '../cli/books.js';
import { runCli, UserError } from '../cli/errors.js';
import { masterEndpoint, parseNumber, PORT } from '../cli/options.js';
import { AccountStore, endpointsOf } from '../config/accounts.js';
import { formatTime } from '../journal/clock.js';
import { Locations, resolveHome } from '../journal/location.js';
import { follow } from '../journal/loop.js';
import { JournalReader } from '../journal/reader.js';
import { formatDecimal } from '../model/decimal.js';
import { OrderStatus, orderStatusName, sideName } from '../model/enums.js';
import { MsgType, Order, Trade } from '../model/events.js';
import { DEMO_ACCOUNT } from '../sim/sim-server.js';
import { simEndpoints } from '../gateway/binance/common/endpoints.js';
import { createLogger } from '../util/log.js';
import { connectPm2, isOnline, isStopped, startApp, startInOrder, stopApp, type Pm2 } from './pm2-apps.js';

const APPS = new URL('../../scripts/binance_test/', import.meta.url);
/** The simulator's port: KF_SIM_PORT, as `kfc sim` (sim.json) reads it, else 8500. */
const SIM_PORT = process.env.KF_SIM_PORT ? parseNumber(process.env.KF_SIM_PORT, { what: 'KF_SIM_PORT', ...PORT }) : 8500;
const STACK = [
  ['master.json', 'system/master/master/live'],
  ['ledger.json', 'system/service/ledger/live'],
  ['md_binance.json', 'md/binance/binance/live'],
  ['td_binance.json', 'td/binance/my_account/live'],
  ['strategy_demo.json', 'strategy/default/demo_spot/live'],
] as const;

const SHOWN_ORDERS = 6;
const say = (line: string) => process.stdout.write(line + '\n');

async function simAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${SIM_PORT}/api/v3/exchangeInfo`);
    const info = (await res.json()) as { symbols?: unknown[] };
    return Array.isArray(info.symbols);
  } catch {
    return false;
  }
}

async function startSim(pm2: Pm2): Promise<void> {
  if (await simAnswers()) {
    say(`npm start: the simulated exchange answers on 127.0.0.1:${SIM_PORT}: using it`);
    return;
  }
  if (await isOnline(pm2, 'sim')) throw new UserError(`PM2's app "sim" is online but nothing answers on 127.0.0.1:${SIM_PORT}: see npx pm2 logs sim`);
  await startApp(pm2, fileURLToPath(new URL('sim.json', APPS)));
  for (let i = 0; i < 100 && !(await simAnswers()); i++) await sleep(100);
  if (!(await simAnswers())) throw new UserError(`the simulated exchange did not come up on 127.0.0.1:${SIM_PORT}: see npx pm2 logs sim (is the port taken?)`);
  say(`npm start: simulated exchange up on http://127.0.0.1:${SIM_PORT}`);
}

/** The demo account, on the simulator; created when missing. */
function ensureAccount(home: string): void {
  const store = AccountStore.open(home, { create: true })!;
  try {
    const existing = store.get('binance', 'my_account');
    if (existing) {
      const rest = endpointsOf(existing.config).rest;
      if (rest !== `http://127.0.0.1:${SIM_PORT}`) {
        throw new UserError(
          `account binance_my_account in ${home} points at ${rest}, not the simulator: npm start trades on the simulator only; run it with another KF_HOME (KF_HOME=/tmp/demo npm start), or use scripts/binance_test/run.sh start to trade on that account`,
        );
      }
      say('npm start: account binance_my_account (on the simulator) is there');
      return;
    }
    const sim = simEndpoints('127.0.0.1', SIM_PORT);
    store.add('binance', 'my_account', { apiKey: DEMO_ACCOUNT.apiKey, hmacSecret: DEMO_ACCOUNT.hmacSecret!, restUrl: sim.rest, streamUrl: sim.stream, wsApiUrl: sim.wsApi });
    say(`npm start: created account binance_my_account on the simulator (its demo key; kfc account -s binance show -a my_account)`);
  } finally {
    store.close();
  }
}

/** Prints the demo's orders (the first ones) and every fill, as the journals get them. */
function tail(home: string, signal: AbortSignal): { counts: { orders: number; fills: number } } {
  const counts = { orders: 0, fills: 0 };
  const strategy = Locations.strategy('demo_spot').uid;
  const reader = new JournalReader({ home, log: createLogger({ name: 'demo', level: 'error', fd: 2 }) });
  const from = BigInt(Date.now()) * 1_000_000n - 1_000_000_000n;
  reader.join(Locations.td('binance', 'my_account'), 0, from);
  reader.join(Locations.ledger(), 0, from);
  const ledger = Locations.ledger().uid;
  let toldMore = false;
  void follow(
    reader,
    (f) => {
      if (f.msgType === MsgType.Order) {
        const o = f.decode(Order);
        if (Number(o.order_id >> 32n) >>> 0 !== strategy) return;
        // Each order once: the TD's Pending when it takes it, or the ledger's Error when refused.
        if (o.status === OrderStatus.Pending || (o.status === OrderStatus.Error && f.location.uid === ledger)) counts.orders++;
        if (counts.orders <= SHOWN_ORDERS || o.status === OrderStatus.Error) {
          say(`  order ${formatTime(f.genTime).slice(11, 23)}  ${sideName(o.side).toUpperCase().padEnd(4)} ${formatDecimal(o.volume)} ${o.symbol} @ ${formatDecimal(o.price)}  ${orderStatusName(o.status)}${o.error_msg ? `: ${o.error_msg}` : ''}`);
        } else if (!toldMore) {
          toldMore = true;
          say('  (further orders are counted in the summary; every fill is shown)');
        }
      } else if (f.msgType === MsgType.Trade) {
        const t = f.decode(Trade);
        if (Number(t.order_id >> 32n) >>> 0 !== strategy) return;
        counts.fills++;
        say(`  FILL  ${formatTime(f.genTime).slice(11, 23)}  ${t.side === 0 ? 'bought' : 'sold'} ${formatDecimal(t.volume)} ${t.symbol} @ ${formatDecimal(t.price)}  fee ${formatDecimal(t.commission)} ${t.commission_asset}`);
      }
    },
    { signal },
  );
  return { counts };
}

await runCli(async () => {
  const home = resolveHome();
  process.env.KF_HOME = home;
  const master = masterEndpoint({ home });
  say(`npm start: KF_HOME ${home}`);
  if (!existsSync(fileURLToPath(new URL('master.json', APPS)))) throw new UserError(`no PM2 app files at ${fileURLToPath(APPS)}`);
  // The app files name their script relative to their own directory, as PM2's CLI reads them there.
  process.chdir(fileURLToPath(APPS));
  const pm2 = await connectPm2();
  const stopping = new AbortController();
  const stop = async (why: string) => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    say(`\nnpm start: ${why}: stopping in order (strategies, gateways, ledger, master), then the simulator`);
    try {
      await shutdownMaster(master, 60_000);
    } catch (err) {
      say(`npm start: ${(err as Error).message}`);
    }
    await stopApp(pm2, 'sim');
    pm2.disconnect();
    say('npm start: stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('Ctrl-C'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await startSim(pm2);
    ensureAccount(home);
    await startInOrder(
      pm2,
      STACK.map(([file, location]) => ({ file: fileURLToPath(new URL(file, APPS)), location })),
      master,
      (file, location) => say(`npm start: ${basename(file, '.json')} ready (${location})`),
    );
  } catch (err) {
    pm2.disconnect();
    throw err;
  }
  say('npm start: the stack is up; the demo strategy quotes BTCUSDT on the simulator. Ctrl-C stops it all in order.\n');
  await sleep(1000);
  try {
    say(formatBooks(await books(master)) + '\n');
  } catch (err) {
    say(`npm start: no books yet (${(err as Error).message})`);
  }
  const { counts } = tail(home, stopping.signal);
  let last = '';
  while (!stopping.signal.aborted) {
    await sleep(5000);
    if (stopping.signal.aborted) break;
    try {
      const b = (await books(master)) as { strategies?: { strategy: string; positions: { volume: string; realizedPnl: string; unrealizedPnl: string }[] }[] };
      const p = b.strategies?.find((s) => s.strategy === 'demo_spot')?.positions[0];
      const line = `  -- ${counts.orders} orders, ${counts.fills} fills; position ${p?.volume ?? '0'} BTC, PnL realized ${p?.realizedPnl ?? '0'}, unrealized ${p?.unrealizedPnl ?? '0'} USDT (kfc status --books for everything)`;
      if (line !== last) say(line);
      last = line;
    } catch (err) {
      // Stopped from elsewhere (npm stop, kfc shutdown: PM2 has the master stopped, not restarting
      // it): nothing left to show; the simulator goes too.
      if (/cannot reach the master/.test((err as Error).message) && (await isStopped(pm2, 'master'))) {
        say('\nnpm start: the stack was stopped (npm stop or kfc shutdown); stopping the simulator');
        stopping.abort();
        await stopApp(pm2, 'sim');
        pm2.disconnect();
        say('npm start: stopped');
        process.exit(0);
      }
      say(`  -- ${(err as Error).message}`);
    }
  }
});
