import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { hmacSignature } from '../../src/sim/api/signing.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { freePort, tmpHome } from '../helpers.js';

describe('kfc sim', { timeout: 60_000 }, () => {
  it('serves the REST API on loopback with the demo account, and stops on SIGINT', async () => {
    const port = await freePort();
    const env = { KF_HOME: tmpHome(), KF_MASTER_PORT: '1' };
    const sim = kfcProcess(['sim', '--port', String(port), '--rate', '50'], env);
    await sim.line(new RegExp(`simulated exchange on http://127\\.0\\.0\\.1:${port} .*API key kfts-sim-demo-key`));
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${port}/api/v3/ping`)).json(), {});
    const query = `timestamp=${Date.now()}`;
    const res = await fetch(`http://127.0.0.1:${port}/api/v3/account?${query}&signature=${hmacSignature('kfts-sim-demo-secret', query)}`, {
      headers: { 'X-MBX-APIKEY': 'kfts-sim-demo-key' },
    });
    const account = (await res.json()) as { balances: { asset: string; free: string }[] };
    assert.deepEqual(account.balances.find((b) => b.asset === 'USDT'), { asset: 'USDT', free: '100000.00000000', locked: '0.00000000' });
    assert.ok(!sim.lines.some((l) => l.includes('kfts-sim-demo-secret')), 'the secret is not logged');
    // The market moves by itself: trades stream without anyone placing an order.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/btcusdt@trade`);
    const trade = await new Promise<any>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(data.toString())));
      ws.once('error', reject);
    });
    assert.equal(trade.e, 'trade');
    assert.equal(trade.s, 'BTCUSDT');
    ws.close();
    const busy = await kfcRun(['sim', '--port', String(port)], env);
    assert.notEqual(busy.status, 0);
    assert.equal(busy.stderr, `kfc: port ${port} in use on 127.0.0.1: stop what listens there, or choose another port with --port\n`);
    sim.proc.kill('SIGINT');
    assert.equal((await sim.exited).code, 0);
  });
});
