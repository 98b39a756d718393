/**
 * The MD gateway under bad input: options, subscriptions it cannot serve, an exchange that sends
 * garbage, refuses snapshots (5xx, 429, 418), cannot be reached, or is not Binance at all. Each
 * test checks the clear message, that nothing is lost or wrongly published, and that the gateway
 * stays up and keeps serving what it can.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { kfcRun } from '../../fixtures/kfc.js';
import { freePort, waitFor } from '../../helpers.js';
import { BookState, BrokerState, MarketData } from '../../../src/model/enums.js';
import { admin, MdJournal, startStack, type Stack } from './md-stack.js';
import { startFakeBinance, type FakeBinance } from './fake-binance.js';

const count = (lines: string[], re: RegExp) => lines.filter((l) => re.test(l)).length;

describe('kfc md: bad options are one line, before anything starts', () => {
  it('an unknown preset, a URL of the wrong kind', async () => {
    for (const [args, re] of [
      [['--preset', 'nowhere'], /^kfc: unknown Binance preset "nowhere" \(from --preset\): use production, testnet, sim, sim:<port> or sim:<host>:<port>\n$/],
      [['--rest-url', 'ftp://example.com'], /^kfc: --rest-url "ftp:\/\/example.com" must start with https:\/\/ or http:\/\/\n$/],
      [['--stream-url', 'not a url'], /^kfc: --stream-url "not a url" is not a URL/],
    ] as const) {
      const r = await kfcRun(['md', '-s', 'binance', ...args], { KF_HOME: '/nonexistent-kf-home', KF_MASTER_PORT: '1' });
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, re);
    }
    const env = await kfcRun(['md', '-s', 'binance'], { KF_HOME: '/nonexistent-kf-home', KF_BINANCE_PRESET: 'mainnet' });
    assert.match(env.stderr, /^kfc: unknown Binance preset "mainnet" \(from KF_BINANCE_PRESET\)/);
  });
});

describe('MD gateway: subscriptions it cannot serve, snapshot failures (kfc sim)', { timeout: 180_000 }, () => {
  let stack: Stack;
  let j: MdJournal;
  before(async () => {
    stack = await startStack();
    j = new MdJournal(stack.home);
  });
  after(async () => {
    j.close();
    await stack.close();
  });

  it('a symbol Binance does not list, or a malformed request: an error event to that subscriber, a log line, and the others are served', async () => {
    const md = stack.md();
    await md.line(/ready/);
    await md.line(/exchangeInfo: \d+ instruments published/);
    const good = await stack.subscriber('good');
    const bad = await stack.subscriber('bad');
    await good.send(`sub BTCUSDT ${MarketData.Quote | MarketData.Depth}`);
    await bad.send(`sub NOPEUSDT ${MarketData.Quote}`);
    await bad.send(`raw okx BTCUSDT ${MarketData.Quote}`);
    await bad.send(`sub BTCUSDT ${MarketData.Depth} 50`);
    await bad.send(`sub BTCUSDT ${MarketData.Bar} 0 7m`);
    const errors = await j.until('four subscribe errors', (x) => (x.errors.length >= 4 ? x.errors : undefined));
    assert.ok(errors.every((e) => e.requester === bad.uid), 'each addressed to the process that asked');
    const byText = errors.map((e) => `${e.symbol} ${e.error_id} ${e.error_msg}`);
    assert.ok(byText.some((t) => /^NOPEUSDT -1121 Invalid symbol: NOPEUSDT is not listed on Binance/.test(t)), byText.join(' | '));
    assert.ok(byText.some((t) => /this gateway serves source binance, not "okx"/.test(t)));
    assert.ok(byText.some((t) => /depth_levels 50: at most 20/.test(t)));
    assert.ok(byText.some((t) => /bar_interval "7m" is not one of 1s 1m/.test(t)));
    await md.line(/subscription to NOPEUSDT refused: Binance does not list NOPEUSDT/);
    assert.ok(!md.lines.some((l) => /nopeusdt@/.test(l)), 'nothing subscribed for the unknown symbol');
    const n = j.poll().quotes.length;
    await j.until('the good subscriber keeps getting quotes', (x) => x.quotes.slice(n).some((q) => q.symbol === 'BTCUSDT'));
    await j.until('a live book', (x) => x.lastDepth('BTCUSDT')?.state === BookState.Live);
  });

  for (const [what, fault, logged] of [
    ['5xx answers', 'fail?count=3&status=503', /book BTCUSDT: snapshot failed \(GET \/api\/v3\/depth: .*the outcome is unknown\); retrying/],
    ['a 429 (waits Retry-After)', 'fail?count=1&status=429', /book BTCUSDT: snapshot refused \(Binance rate limit \(429\): requests paused until .*\); waiting 1 s/],
  ] as const) {
    it(`a snapshot refused with ${what} during a resync: retried, and the book is whole again`, async () => {
      await j.untilPastSnapshot('BTCUSDT');
      j.poll();
      const before = j.depths.length;
      await admin(stack.simPort, fault);
      await admin(stack.simPort, 'skip-depth?symbol=BTCUSDT');
      await j.until('stale', (x) => x.depths.slice(before).some((e) => e.d.state === BookState.Stale));
      await j.until('live again', (x) => x.depths.at(-1)?.d.state === BookState.Live && x.depths.slice(before).some((e) => e.d.state === BookState.Stale), 30_000);
      await waitFor(`the log says ${logged}`, () => stackLines(stack).some((l) => logged.test(l)));
    });
  }
});

/** Every line the stack's gateway processes printed. */
function stackLines(stack: Stack): string[] {
  return stack.gateways.flatMap((g) => g.lines);
}

describe('MD gateway: an exchange that sends garbage or bans us (a fake Binance)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let fake: FakeBinance;
  let j: MdJournal;
  before(async () => {
    stack = await startStack({ market: false });
    fake = await startFakeBinance();
    j = new MdJournal(stack.home);
  });
  after(async () => {
    j.close();
    await stack.close();
    await fake.close();
  });

  it('malformed JSON and unexpected fields: logged once per kind, skipped, the connection goes on; a 418 on the snapshot: loud, and no REST until the ban ends', async () => {
    let depthCalls = 0;
    let u = 100; // the fake book's update id: bid 0.06 has quantity u
    fake.rest = (_req, url) => {
      if (url.pathname !== '/api/v3/depth') return undefined;
      depthCalls++;
      if (depthCalls === 1) return { status: 418, headers: { 'retry-after': '2' }, body: '{"code":-1003,"msg":"Way too much request weight used; IP banned until now + 2 s."}' };
      return { status: 200, body: JSON.stringify({ lastUpdateId: u, bids: [['0.06', String(u)]], asks: [['0.07', '2']] }) };
    };
    const md = stack.md(['--rest-url', `http://127.0.0.1:${fake.port}`, '--stream-url', `ws://127.0.0.1:${fake.port}`, '-l', 'trace']);
    await md.line(/exchangeInfo: 2 instruments published/);
    const s = await stack.subscriber('victim');
    await s.send(`sub ETHBTC ${MarketData.Quote | MarketData.Depth}`);
    await waitFor('a stream connection', () => fake.sockets.length > 0);
    const quote = (bid: string) => JSON.stringify({ stream: 'ethbtc@bookTicker', data: { u: 1, s: 'ETHBTC', b: bid, B: '1', a: '0.07', A: '1' } });
    for (let i = 0; i < 2; i++) {
      fake.broadcast('{"stream": "ethbtc@bookTicker", "data": {');
      fake.broadcast(quote('not a number'));
      fake.broadcast(JSON.stringify({ hello: 'world' }));
      fake.broadcast(JSON.stringify({ stream: 'ethbtc@depth5', data: {} }));
    }
    fake.broadcast(JSON.stringify({ stream: 'ethbtc@bookTicker', data: { u: 2, s: 'ETHBTC', b: '0.06', B: '1', a: '0.07', A: '1' } }));
    await j.until('the good quote after the garbage', (x) => x.quotes.some((q) => q.symbol === 'ETHBTC'));
    // Lines are written in order: once the good quote's trace line is there, every warning before it is too.
    await md.line(/TRACE .*<- \[\d+\] \{"stream":"ethbtc@bookTicker","data":\{"u":2/);
    assert.equal(j.quotes.length, 1, 'nothing published from the bad messages');
    assert.equal(count(md.lines, /skipped a message \(malformed JSON/), 1, 'malformed JSON: once');
    assert.equal(count(md.lines, /skipped a message \(bookTicker: field b: "not a number" is not a decimal number\)/), 1, 'a bad field: once per kind');
    assert.equal(count(md.lines, /skipped a message \(message: neither market data/), 1);
    assert.equal(count(md.lines, /skipped a message \(a message of stream "ethbtc@depth5"/), 1);
    assert.equal(count(md.lines, /market streams: lost/), 0, 'the connection went on');

    // Depth: the first diff asks for a snapshot; Binance answers 418.
    const diff = () => JSON.stringify({ stream: 'ethbtc@depth@100ms', data: { e: 'depthUpdate', E: Date.now(), s: 'ETHBTC', U: u + 1, u: (u += 1), b: [['0.06', String(u)]], a: [] } });
    const ticker = setInterval(() => fake.broadcast(diff()), 50);
    try {
      await md.line(/ERROR .*Binance banned this IP until .* \(418 Way too much request weight used/);
      const banned = await j.until('BrokerState naming the ban', (x) => x.states.find((st) => /REST banned by Binance until .* \(418\)/.test(st.message)));
      assert.equal(banned.state, BrokerState.Connected);
      const bannedAt = Date.now();
      await j.until('a live book after the ban', (x) => x.lastDepth('ETHBTC')?.state === BookState.Live, 20_000);
      assert.ok(Date.now() - bannedAt >= 1000, 'the snapshot waited for the ban to end');
      assert.equal(depthCalls, 2, 'no REST request during the ban');
      await j.until('Ready once whole', (x) => x.states.at(-1)?.state === BrokerState.Ready);
      const d = j.lastDepth('ETHBTC')!;
      assert.equal(d.bid_volume[0], BigInt(Number(d.update_id)) * 100_000_000n, 'the book went on from the snapshot with every diff');
    } finally {
      clearInterval(ticker);
    }
  });
});

describe('MD gateway: an exchange it cannot reach, or that is not Binance', { timeout: 120_000 }, () => {
  let stack: Stack;
  let j: MdJournal;
  const html = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>not an exchange</body></html>');
  });
  before(async () => {
    stack = await startStack({ market: false });
    j = new MdJournal(stack.home);
    await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    j.close();
    await stack.close();
    html.closeAllConnections();
    html.close();
  });

  it('a subscribed symbol with no market data (a still market): state Idle, naming it', async () => {
    const md = stack.md(['--idle-after', '1']);
    await md.line(/exchangeInfo: \d+ instruments published/);
    const s = await stack.subscriber('patient');
    await s.send(`sub BTCUSDT ${MarketData.Quote}`);
    const idle = await j.until('Idle', (x) => x.states.find((st) => st.state === BrokerState.Idle));
    assert.equal(idle.message, 'no market data for over 1 s: BTCUSDT');
    s.child.proc.kill('SIGTERM');
    await j.until('Ready once nothing is subscribed', (x) => x.states.at(-1)?.state === BrokerState.Ready);
    md.proc.kill('SIGTERM');
    await md.exited;
  });

  it('a refused connection: registered and ready anyway, DisConnected, one log line for a run of attempts, no crash', async () => {
    const port = await freePort();
    const md = stack.md(['--rest-url', `http://127.0.0.1:${port}`, '--stream-url', `ws://127.0.0.1:${port}`]);
    await md.line(/md\/binance\/binance\/live ready/);
    const state = await j.until('DisConnected', (x) => x.states.find((s) => s.state === BrokerState.DisConnected && /ECONNREFUSED/.test(s.message)));
    assert.match(state.message, /exchangeInfo: GET \/api\/v3\/exchangeInfo: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    await waitFor('three attempts', () => count(md.lines, /exchangeInfo attempt \d+ failed/) >= 2, 30_000);
    assert.equal(count(md.lines, /WARN .*cannot load exchangeInfo from/), 1, 'said once for the whole run of attempts');
    assert.equal(md.proc.exitCode, null, 'still running');
    md.proc.kill('SIGTERM');
    assert.equal((await md.exited).code, 0, 'and stops cleanly');
  });

  it('a host that does not resolve: the same, naming the DNS failure', async () => {
    const md = stack.md(['--rest-url', 'http://no-such-host.invalid', '--stream-url', 'ws://no-such-host.invalid']);
    await md.line(/WARN .*cannot load exchangeInfo from http:\/\/no-such-host\.invalid \(.*(ENOTFOUND|EAI_AGAIN).*\)/);
    md.proc.kill('SIGTERM');
    await md.exited;
  });

  it('a server that is not Binance: REST says so, the stream endpoint says so', async () => {
    const port = (html.address() as { port: number }).port;
    const md = stack.md(['--rest-url', `http://127.0.0.1:${port}`]);
    await md.line(/WARN .*cannot load exchangeInfo from http:\/\/127\.0\.0\.1:\d+ \(GET \/api\/v3\/exchangeInfo: HTTP 200 with a body that is not JSON.*\): is http:\/\/127\.0\.0\.1:\d+ a Binance API\?/);
    md.proc.kill('SIGTERM');
    await md.exited;
    // REST from the sim, streams from the HTML server.
    const md2 = stack.md(['--stream-url', `ws://127.0.0.1:${port}`]);
    await md2.line(/exchangeInfo: \d+ instruments published/);
    const s = await stack.subscriber('lost');
    await s.send(`sub BTCUSDT ${MarketData.Quote}`);
    await md2.line(/cannot connect to ws:\/\/127\.0\.0\.1:\d+\/stream: the server answered HTTP 200 instead of a WebSocket upgrade: is ws:\/\/127\.0\.0\.1:\d+ Binance's market stream endpoint\?/);
    await j.until('DisConnected for the streams', (x) => x.states.some((st) => st.state === BrokerState.DisConnected && /market streams: .*HTTP 200/.test(st.message)));
  });
});
