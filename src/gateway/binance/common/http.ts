/**
 * A small HTTP(S) client for JSON APIs on node:http/https, with keep-alive, a deadline per request
 * and a cap on the answer's size. Not fetch: fetch brings undici, about 10 MB more in every gateway
 * process (each process must idle under 60 MB), for what a dozen lines of node:https do here.
 *
 * Outcomes are told apart, because for an order they mean different things: an answer (any HTTP
 * status), a failure before anything was sent (connection refused, DNS), and a failure after the
 * request may have reached the server (timeout, connection reset): `sent` says which.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as text (JSON for Binance, HTML for some proxies' error pages). */
  text: string;
}

export class HttpFailure extends Error {
  override name = 'HttpFailure';
  constructor(
    message: string,
    /** false: the request never left (nothing can have happened); true: its fate is unknown. */
    readonly sent: boolean,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL, query included. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Answers larger than this are cut off as an error (exchangeInfo of every symbol is ~10 MB). */
const MAX_BODY = 32 * 1024 * 1024;

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 8 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 8 }) };

export function httpJson(req: HttpRequest): Promise<HttpAnswer> {
  const url = new URL(req.url);
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    const fail = (message: string, code: string) => {
      if (settled) return;
      settled = true;
      reject(new HttpFailure(message, connected, code));
    };
    const r = send(
      url,
      {
        method: req.method,
        agent: secure ? agents.https : agents.http,
        headers: { ...(req.body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...req.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            res.destroy();
            fail(`${req.method} ${url.pathname}: answer larger than ${MAX_BODY} bytes`, 'ETOOBIG');
          } else chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => fail(`${req.method} ${url.pathname}: ${err.message}`, 'ERESPONSE'));
      },
    );
    const timer = setTimeout(() => {
      fail(`${req.method} ${url.pathname}: no answer within ${req.timeoutMs} ms`, 'ETIMEDOUT');
      r.destroy();
    }, req.timeoutMs);
    r.on('socket', (socket) => {
      // A reused keep-alive socket is connected already; a new one once it connects.
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(`${req.method} ${url.host}${url.pathname}: ${err.code ?? err.message}`, err.code ?? 'EIO');
    });
    r.end(req.body);
  });
}
