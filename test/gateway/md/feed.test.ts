/**
 * The feed's connection health against kfc sim (in this process) over real WebSockets: pings
 * answered, a silent connection noticed and replaced, renewal before the 24 h cut without a gap,
 * control messages kept under Binance's 5 a second, streams spread over connections.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Feed, type FeedEvents } from '../../../src/gateway/binance/md/feed.js';
import { startSimServer, type SimServer } from '../../../src/sim/sim-server.js';
import { recordingLogger, waitFor } from '../../helpers.js';

const sims: SimServer[] = [];
after(() => {
  for (const s of sims) {
    s.market?.stop();
    s.server.closeAllConnections();
    s.server.close();
  }
});

async function sim(heartbeat?: { pingIntervalMs: number; pongTimeoutMs: number }): Promise<{ sim: SimServer; port: number }> {
  const s = await startSimServer({ host: '127.0.0.1', port: 0, market: { seed: 3, rate: 20 }, ...(heartbeat ? { heartbeat } : {}) });
  sims.push(s);
  return { sim: s, port: (s.server.address() as { port: number }).port };
}

interface Recorded extends FeedEvents {
  streams: string[];
  ups: string[][];
  downs: string[];
  refusals: string[];
}

function recorder(): Recorded {
  const r: Recorded = {
    streams: [],
    ups: [],
    downs: [],
    refusals: [],
    data: (stream) => void r.streams.push(stream),
    up: (streams) => void r.ups.push([...streams]),
    down: (_streams, cause) => void r.downs.push(cause),
    refused: (streams, _code, msg) => void r.refusals.push(`${streams.join(',')}: ${msg}`),
    bad: (kind, message) => assert.fail(`bad message (${kind}): ${message}`),
  };
  return r;
}

/** A TCP proxy in front of a port that can stop forwarding (a connection gone silent, not closed). */
async function proxy(target: number): Promise<{ port: number; frozen: boolean; close(): void }> {
  const sockets = new Set<Socket>();
  const p = { port: 0, frozen: false, close: () => {} };
  const server = createServer((client) => {
    const up = connect(target, '127.0.0.1');
    sockets.add(client).add(up);
    client.on('data', (d) => void (p.frozen || up.write(d)));
    up.on('data', (d) => void (p.frozen || client.write(d)));
    for (const s of [client, up]) s.on('error', () => {}).on('close', () => (client.destroy(), up.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  p.port = (server.address() as { port: number }).port;
  p.close = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  return p;
}

describe('market stream feed (against kfc sim)', { timeout: 120_000 }, () => {
  it('answers the server\'s pings: a connection outlives many pong deadlines', async () => {
    const { port } = await sim({ pingIntervalMs: 300, pongTimeoutMs: 700 }); // pongs count toward 5 messages a second
    const ev = recorder();
    const feed = new Feed({ base: `ws://127.0.0.1:${port}`, log: recordingLogger(), events: ev });
    try {
      feed.set(new Set(['btcusdt@trade']));
      await waitFor('connected', () => ev.ups.length === 1);
      await sleep(2500); // three pong deadlines: a connection that does not answer is dropped after the first
      assert.deepEqual(ev.downs, []);
      assert.equal(ev.ups.length, 1);
    } finally {
      feed.close();
    }
  });

  it('notices a connection gone silent (no data, no pong) and reconnects', async () => {
    const { port } = await sim();
    const px = await proxy(port);
    const ev = recorder();
    const log = recordingLogger();
    const feed = new Feed({ base: `ws://127.0.0.1:${px.port}`, log, events: ev, timing: { silentMs: 1500, pingAfterMs: 500 }, backoff: { initialMs: 100, maxMs: 500 } });
    try {
      feed.set(new Set(['btcusdt@bookTicker']));
      await waitFor('connected and flowing', () => ev.ups.length === 1 && ev.streams.length > 0);
      px.frozen = true;
      const t0 = Date.now();
      await waitFor('the silence noticed', () => ev.downs.length > 0, 10_000);
      assert.match(ev.downs[0]!, /silent for \d+ s \(no data, no ping, no pong\)/);
      assert.ok(Date.now() - t0 >= 1400, 'not before silentMs');
      px.frozen = false;
      const n = ev.streams.length;
      await waitFor('a new connection, data again', () => ev.ups.length === 2 && ev.streams.length > n, 10_000);
    } finally {
      feed.close();
      px.close();
    }
  });

  it('renews a connection before its age limit by switching to a new one first: no down, no resubscription gap', async () => {
    const { port } = await sim();
    const ev = recorder();
    const log = recordingLogger();
    const feed = new Feed({ base: `ws://127.0.0.1:${port}`, log, events: ev, maxAgeMs: 800 });
    try {
      feed.set(new Set(['btcusdt@bookTicker', 'btcusdt@depth@100ms']));
      await waitFor('two renewals', () => log.messages().filter((m) => /switched to a new connection \(2 streams\)/.test(m)).length >= 2, 20_000);
      assert.ok(log.messages().some((m) => /renewing ws:\/\/127\.0\.0\.1:\d+\/stream before Binance's 24 h cut/.test(m)));
      assert.deepEqual(ev.downs, [], 'the old connection never counted as lost');
      assert.equal(ev.ups.length, 1, 'books were not restarted');
      assert.equal(feed.connectionCount, 1);
    } finally {
      feed.close();
    }
  });

  it('keeps control messages under 5 a second however fast subscriptions change, and spreads streams over connections', async () => {
    const { port } = await sim();
    const ev = recorder();
    const log = recordingLogger();
    const feed = new Feed({ base: `ws://127.0.0.1:${port}`, log, events: ev, maxStreamsPerConnection: 3 });
    try {
      const all = ['btcusdt@bookTicker', 'btcusdt@trade', 'btcusdt@aggTrade', 'btcusdt@depth@100ms', 'ethusdt@bookTicker', 'ethusdt@trade', 'ethusdt@aggTrade'];
      feed.set(new Set(all.slice(0, 1)));
      await waitFor('connected', () => ev.ups.length === 1);
      // 30 changes in 1.5 s on the first connection: sent one by one, that is 20 messages a second.
      for (let i = 0; i < 30; i++) {
        feed.set(new Set(i % 2 ? ['btcusdt@bookTicker', 'btcusdt@trade'] : ['btcusdt@bookTicker', 'btcusdt@aggTrade']));
        await sleep(50);
      }
      feed.set(new Set(all));
      assert.equal(feed.connectionCount, 3, '7 streams at 3 a connection');
      await waitFor('every stream delivers', () => all.every((s) => ev.streams.includes(s)), 20_000);
      assert.deepEqual(ev.downs, [], 'no connection was closed for sending too much');
      assert.deepEqual(ev.refusals, []);
    } finally {
      feed.close();
    }
  });
});
