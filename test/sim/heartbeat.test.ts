/**
 * Binance's heartbeat, server side: pings at an interval, and a connection that does not answer
 * with a pong within the timeout is dropped (never sooner). Asserted on events with bounds a
 * loaded machine cannot break: the timeout is long against the ping interval, and the drop is
 * checked against its lower bound, which no slowness can bring forward.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startSimServer } from '../../src/sim/sim-server.js';

const PING_MS = 400; // at most 3 pongs a second: within the streams' 5 messages a second
const PONG_TIMEOUT_MS = 6000;

describe('sim WebSocket heartbeat', { timeout: 90_000 }, () => {
  it('pings every interval and drops a connection that never answers with a pong, not before the timeout', async () => {
    const { server } = await startSimServer({ host: '127.0.0.1', port: 0, market: false, heartbeat: { pingIntervalMs: PING_MS, pongTimeoutMs: PONG_TIMEOUT_MS } });
    const base = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    const open = (path: string, autoPong: boolean) =>
      new Promise<{ ws: WebSocket; pings: number[]; opened: number; closed: Promise<{ code: number; at: number }> }>((resolve, reject) => {
        const ws = new WebSocket(`${base}${path}`, { autoPong });
        const pings: number[] = [];
        ws.on('ping', () => pings.push(Date.now()));
        const closed = new Promise<{ code: number; at: number }>((r) => ws.once('close', (code) => r({ code, at: Date.now() })));
        ws.once('open', () => resolve({ ws, pings, opened: Date.now(), closed })).once('error', reject);
      });
    try {
      await Promise.all(
        ['/ws/btcusdt@trade', '/ws-api/v3'].map(async (path) => {
          const good = await open(path, true);
          const silent = await open(path, false);
          const dropped = await silent.closed;
          assert.ok(dropped.at - silent.opened >= PONG_TIMEOUT_MS - 50, `${path}: dropped after ${dropped.at - silent.opened} ms, not before the ${PONG_TIMEOUT_MS} ms timeout`);
          assert.ok(silent.pings.length >= 2, `${path}: the silent client was pinged (${silent.pings.length})`);
          assert.ok(good.pings.length >= 2, `${path}: the answering client was pinged (${good.pings.length})`);
          assert.equal(good.ws.readyState, WebSocket.OPEN, `${path}: a client that answers stays connected`);
          good.ws.close();
        }),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
