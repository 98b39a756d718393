/**
 * Small Binance clients for the sim tests: REST (public and HMAC-signed calls, status and body kept)
 * and the WS API (requests matched by id, signed ones, and the user data events that arrive).
 */
import type { KeyObject } from 'node:crypto';
import { WebSocket } from 'ws';
import { ed25519Signature, hmacSignature, wsApiPayload } from '../../src/sim/api/signing.js';
import type { SimAccount } from '../../src/sim/api/rest.js';
import { DEMO_ACCOUNT } from '../../src/sim/sim-server.js';
import { waitFor } from '../helpers.js';

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** `now` stamps the signed requests: a test that sets the sim's clock passes the same one. */
export function restClient(base: string, account: { apiKey: string; hmacSecret?: string } = DEMO_ACCOUNT, now: () => number = Date.now) {
  const call = async (method: string, path: string, query = ''): Promise<Reply> => {
    const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { method, headers: { 'X-MBX-APIKEY': account.apiKey } });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  return {
    get: (path: string, params: Record<string, string> = {}) => call('GET', path, new URLSearchParams(params).toString()),
    signed: (method: string, path: string, params: Record<string, string> = {}) => {
      const query = new URLSearchParams({ ...params, timestamp: String(now()) }).toString();
      return call(method, path, `${query}&signature=${hmacSignature(account.hmacSecret!, query)}`);
    },
  };
}

export const errorOf = (r: Reply) => [r.status, r.body.code, r.body.msg];

export const TEN_SECONDS = 10_000;
export const DAY = 86_400_000;
/**
 * Whether two of the sim's times fall in one window of `windowMs` (the ORDERS counters restart at
 * each window's start, the 10 s one every 10 s, the day one at UTC midnight): a count compared
 * across a boundary is not the test's to predict.
 */
export const sameWindow = (windowMs: number, a: number, b: number): boolean => Math.floor(a / windowMs) === Math.floor(b / windowMs);

/** A BTCUSDT trade at `price` between two orders of the client's own account (self-trade prevention off): the last price moves there. */
export async function tradeAt(client: ReturnType<typeof restClient>, price: string): Promise<void> {
  const order = { symbol: 'BTCUSDT', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price };
  await client.signed('POST', '/api/v3/order', { ...order, side: 'SELL' });
  const buy = await client.signed('POST', '/api/v3/order', { ...order, side: 'BUY', selfTradePreventionMode: 'NONE' });
  if (buy.body.status !== 'FILLED') throw new Error(`no trade at ${price}: ${JSON.stringify(buy.body)}`);
}

/** A WS API connection: every frame received is kept in `messages`, in order. */
export class WsApiClient {
  readonly messages: any[] = [];
  private nextId = 1;
  private constructor(
    readonly ws: WebSocket,
    private readonly now: () => number,
  ) {
    ws.on('message', (d) => this.messages.push(JSON.parse(d.toString())));
  }
  /** Connects to the WS API of the sim at `base` (its http://host:port); `now` stamps signed requests (the sim's clock, if the test sets it). */
  static async open(base: string, now: () => number = Date.now): Promise<WsApiClient> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws-api/v3`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new WsApiClient(ws, now);
  }
  /** Sends `text` as it is and waits for the answer carrying `id`. */
  async raw(text: string, id: unknown): Promise<any> {
    this.ws.send(text);
    return waitFor(`a response to ${text.slice(0, 60)}`, () => this.messages.find((m) => m.id === id && 'status' in m));
  }
  call(method: string, params?: Record<string, unknown>): Promise<any> {
    const id = `r${this.nextId++}`;
    return this.raw(JSON.stringify({ id, method, ...(params ? { params } : {}) }), id);
  }
  /** A signed call: HMAC with the account's secret, or Ed25519 with `ed25519Key` for an Ed25519 account. */
  signed(method: string, params: Record<string, string | number>, account: SimAccount = DEMO_ACCOUNT, ed25519Key?: KeyObject): Promise<any> {
    const all = { ...params, apiKey: account.apiKey, timestamp: this.now() };
    const payload = wsApiPayload(all);
    const signature = account.hmacSecret ? hmacSignature(account.hmacSecret, payload) : ed25519Signature(ed25519Key!, payload);
    return this.call(method, { ...all, signature });
  }
  /** The user data events of `type` received so far, as `{subscriptionId, event}` frames. */
  events(type: string): any[] {
    return this.messages.filter((m) => m.event?.e === type);
  }
  close(): void {
    this.ws.close();
  }
}

/** A raw WebSocket to the sim on `port` that keeps every message (parsed), and tells when it closes. */
export async function connectWs(port: number, path: string): Promise<{ ws: WebSocket; messages: any[]; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, messages, closed };
}
