/**
 * `npm start`, end to end: the simulator, master, ledger, MD, TD and the demo strategy under a real
 * PM2 (its own PM2_HOME), from the same app files. The demo must see quotes and depth and trade
 * within a minute; once its trading is halted (the market goes on), the strategy's, the ledger's and
 * the exchange's books must agree to the last digit; Ctrl-C must cancel the demo's orders at the
 * exchange before the TD closes its session, and every process must exit 0.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hmacCredentials } from '../../src/gateway/binance/common/credentials.js';
import { orderIdOf } from '../../src/gateway/binance/common/ids.js';
import { BinanceRest } from '../../src/gateway/binance/common/rest.js';
import { formatFixed, parseDecimal as d } from '../../src/model/decimal.js';
import { OrderStatus, isFinalStatus } from '../../src/model/enums.js';
import { DEMO_ACCOUNT } from '../../src/sim/sim-server.js';
import { runNode } from '../fixtures/child.js';
import { demoOrdersAtStop } from '../fixtures/demo-orders.js';
import { kfcRun } from '../fixtures/kfc.js';
import { apiBooks, exchangeBalances, ledgerBalances } from '../fixtures/ledger-books.js';
import { pm2Env, ROOT } from '../fixtures/pm2.js';
import { freePort, recordingLogger, waitFor } from '../helpers.js';

const fmt8 = (x: bigint) => formatFixed(x, 8);

/** The demo's latest 5 s line: its position and its view of the account's balances (free, locked). */
function strategyView(log: string): { position: string; balances: Record<string, [string, string]> } | undefined {
  const lines = log.split('\n').filter((l) => /demo_spot: \d+ fills; position /.test(l));
  const last = lines.at(-1);
  if (!last) return undefined;
  const m = /position (\S+) BTC, .*; free\/locked (.*)$/.exec(last);
  if (!m) throw new Error(`the demo's line changed shape: ${last}`);
  const balances: Record<string, [string, string]> = {};
  for (const part of m[2]!.split(', ')) {
    const [asset, amounts] = part.split(' ') as [string, string];
    const [free, locked] = amounts.split('/').map((x) => d(x)) as [bigint, bigint];
    if (free !== 0n || locked !== 0n) balances[asset] = [fmt8(free), fmt8(locked)];
  }
  return { position: fmt8(d(m[1]!)), balances };
}

describe('npm start: the whole stack trading on the simulator', { timeout: 300_000 }, () => {
  it('trades within a minute; strategy, ledger and exchange agree; Ctrl-C cancels at the exchange before the TD stops; all exit 0', async () => {
    const { env, jlist } = await pm2Env();
    const simPort = await freePort();
    const runEnv = { ...env, KF_SIM_PORT: String(simPort) };
    const started = Date.now();
    const demo = runNode([join(ROOT, 'scripts', 'start.mjs')], runEnv);
    after(() => void (demo.proc.exitCode === null && demo.proc.kill('SIGKILL')));

    await demo.line(/^npm start: the stack is up/, 60_000);
    for (const app of ['master', 'ledger', 'md_binance', 'td_binance', 'strategy_demo']) assert.ok(demo.lines.some((l) => l.startsWith(`npm start: ${app} ready (`)), app);
    await demo.line(/^ {2}FILL /, Math.max(1, 60_000 - (Date.now() - started)));
    assert.ok(Date.now() - started < 60_000, `the first fill after ${Date.now() - started} ms`);

    // The strategy saw quotes (it quotes from them) and the order book.
    const strategyLog = () => readFileSync(join(env.KF_HOME, 'log', 'strategy_demo_spot.log'), 'utf8');
    await waitFor('the demo\'s first book', () => /demo_spot: first BTCUSDT book: [1-5] bids from \d+(\.\d+)?, [1-5] asks from \d/.test(strategyLog()));

    // Halt the demo and cancel its orders: the market goes on, the demo's books go still.
    const halt = await kfcRun(['ledger', 'halt', '--strategy', 'demo_spot', '--cancel', '--reason', 'e2e check'], runEnv);
    assert.equal(halt.status, 0, halt.stderr);
    const exchange = new BinanceRest({ base: `http://127.0.0.1:${simPort}`, credentials: hmacCredentials(DEMO_ACCOUNT.apiKey, DEMO_ACCOUNT.hmacSecret!), log: recordingLogger() });
    await waitFor('no open order at the exchange', async () => (await exchange.call<unknown[]>('GET', '/api/v3/openOrders', {}, { signed: true })).length === 0, 20_000, 100);
    const stack = { masterPort: Number(env.KF_MASTER_PORT), client: () => exchange };
    const account = 'binance_my_account';
    const theirs = await waitFor('the ledger\'s balances equal the exchange\'s', async () => {
      const [mine, ex] = [ledgerBalances(await apiBooks(stack), account), await exchangeBalances(stack, { name: 'demo', apiKey: '', secret: '' })];
      return JSON.stringify(mine) === JSON.stringify(ex) ? ex : undefined;
    }, 20_000, 100);

    // The position: the ledger's, the sum of the exchange's fills (net of fees in BTC), the strategy's.
    const trades = await exchange.call<{ qty: string; isBuyer: boolean; commission: string; commissionAsset: string }[]>('GET', '/api/v3/myTrades', { symbol: 'BTCUSDT', limit: 1000 }, { signed: true });
    assert.ok(trades.length > 0 && trades.length < 1000, `${trades.length} fills`);
    const net = trades.reduce((sum, t) => sum + (t.isBuyer ? d(t.qty) : -d(t.qty)) - (t.commissionAsset === 'BTC' ? d(t.commission) : 0n), 0n);
    const ledgerPosition = (await apiBooks(stack)).strategies.find((s) => s.strategy === 'demo_spot')?.positions.find((p) => p.symbol === 'BTCUSDT');
    assert.equal(ledgerPosition?.volume, fmt8(net), 'the ledger\'s position is the sum of the exchange\'s fills');
    // The strategy writes its view every 5 s: wait for one that is as still as the rest.
    const view = await waitFor('the strategy\'s view equal to the ledger\'s and the exchange\'s', () => {
      const v = strategyView(strategyLog());
      return v && v.position === fmt8(net) && JSON.stringify(v.balances) === JSON.stringify(theirs) ? v : undefined;
    }, 20_000, 200);
    assert.deepEqual(view.balances, theirs);

    // Resume: the demo quotes again; then Ctrl-C stops it all in order.
    assert.equal((await kfcRun(['ledger', 'resume', '--strategy', 'demo_spot'], runEnv)).status, 0);
    const openAtStop = await waitFor('the demo quoting again', async () => {
      const open = await exchange.call<{ clientOrderId: string }[]>('GET', '/api/v3/openOrders', {}, { signed: true });
      return open.length > 0 ? open.map((o) => orderIdOf(o.clientOrderId)!) : undefined;
    }, 30_000, 100);
    demo.proc.kill('SIGINT');
    assert.deepEqual(await demo.exited, { code: 0, signal: null }, demo.stderr());
    assert.ok(demo.lines.includes('npm start: stopped'));

    // Every demo order ended final at the exchange's word, before the TD closed its session.
    const { last, stoppedAt } = demoOrdersAtStop(env.KF_HOME);
    assert.ok(stoppedAt !== undefined, 'the TD journaled its stop');
    const open = [...last].filter(([, o]) => !isFinalStatus(o.status));
    assert.deepEqual(open, [], 'no demo order left open');
    // (One may fill before its cancel gets there: then it is Filled, as at the exchange.)
    const ended: number[] = [OrderStatus.Cancelled, OrderStatus.Filled, OrderStatus.PartialFilledNotActive];
    for (const id of openAtStop) assert.ok(ended.includes(last.get(id)?.status ?? -1), `order ${id}, open at Ctrl-C, ended ${last.get(id)?.status}`);
    for (const o of last.values()) assert.ok(o.gen < stoppedAt, 'every answer came before the TD stopped');

    // PM2: every app stopped, each having exited 0, none restarted.
    const apps = await jlist();
    assert.deepEqual(apps.map((a) => a.name).sort(), ['ledger', 'master', 'md_binance', 'sim', 'strategy_demo', 'td_binance']);
    for (const a of apps) {
      assert.equal(a.pm2_env.status, 'stopped', `${a.name} is ${a.pm2_env.status}`);
      assert.equal(a.pm2_env.restart_time, 0, `${a.name} restarts`);
      assert.equal(a.pm2_env.exit_code, 0, `${a.name} exit code`);
    }
    assert.ok(existsSync(join(env.KF_HOME, 'log', 'master.log')));
  });
});
