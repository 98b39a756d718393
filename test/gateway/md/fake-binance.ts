/**
 * A Binance that misbehaves on purpose, for the bad-input tests: REST answers chosen by the test
 * (exchangeInfo from the recorded fixture by default) and a `/stream` WebSocket endpoint where
 * the test sends whatever text it likes, including what Binance never sends.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface FakeBinance {
  port: number;
  /** Connections to /stream, newest last. */
  sockets: WebSocket[];
  /** Requests seen, e.g. "GET /api/v3/depth?symbol=ETHBTC&limit=5000". */
  requests: string[];
  /** Answers REST; return undefined for the default (exchangeInfo fixture, else 404). */
  rest: (req: IncomingMessage, url: URL) => FakeAnswer | undefined;
  /** Sends text to every open stream connection. */
  broadcast(text: string): void;
  close(): Promise<void>;
}

const EXCHANGE_INFO = readFileSync(new URL('../../fixtures/binance/exchangeInfo.json', import.meta.url), 'utf8');

export async function startFakeBinance(): Promise<FakeBinance> {
  const wss = new WebSocketServer({ noServer: true });
  const fake: FakeBinance = {
    port: 0,
    sockets: [],
    requests: [],
    rest: () => undefined,
    broadcast(text) {
      for (const s of fake.sockets) if (s.readyState === s.OPEN) s.send(text);
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of fake.sockets) s.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    fake.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const answer = fake.rest(req, url) ?? (url.pathname === '/api/v3/exchangeInfo' ? { status: 200, body: EXCHANGE_INFO } : { status: 404, body: '{"code":-1000,"msg":"no such endpoint in the fake"}' });
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body);
  });
  server.on('upgrade', (req, socket, head) => {
    if (!(req.url ?? '').startsWith('/stream')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      fake.sockets.push(ws);
      ws.on('error', () => ws.terminate());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as { port: number }).port;
  return fake;
}
