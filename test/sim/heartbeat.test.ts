import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startSimServer } from '../../src/sim/sim-server.js';

describe('sim WebSocket heartbeat', { timeout: 60_000 }, () => {
  it('pings every interval and drops a connection that never answers with a pong', async () => {
    const { server } = await startSimServer({ host: '127.0.0.1', port: 0, heartbeat: { pingIntervalMs: 50, pongTimeoutMs: 300 } });
    const base = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
    const open = (path: string, autoPong: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`${base}${path}`, { autoPong });
        ws.once('open', () => resolve(ws)).once('error', reject);
      });
    try {
      for (const path of ['/ws/btcusdt@trade', '/ws-api/v3']) {
        const good = await open(path, true);
        const silent = await open(path, false);
        let pings = 0;
        good.on('ping', () => pings++);
        await new Promise<void>((resolve) => silent.once('close', () => resolve()));
        assert.ok(pings >= 2, `${path}: pinged (${pings})`);
        assert.equal(good.readyState, WebSocket.OPEN, `${path}: a client that answers stays connected`);
        good.close();
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
