/**
 * Binance's WebSocket heartbeat, server side: a ping frame every 20 s, and a connection that has
 * not answered with a pong for a minute is dropped. Intervals are options so tests can shorten them.
 */
import type { WebSocket, WebSocketServer } from 'ws';

export interface HeartbeatOptions {
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
}

export function startHeartbeat(wss: WebSocketServer, opts: HeartbeatOptions = {}): () => void {
  const interval = opts.pingIntervalMs ?? 20_000;
  const timeout = opts.pongTimeoutMs ?? 60_000;
  const lastPong = new WeakMap<WebSocket, number>();
  wss.on('connection', (ws: WebSocket) => {
    lastPong.set(ws, Date.now());
    ws.on('pong', () => lastPong.set(ws, Date.now()));
  });
  const timer = setInterval(() => {
    const now = Date.now();
    for (const ws of wss.clients) {
      if (now - (lastPong.get(ws) ?? now) > timeout) ws.terminate();
      else ws.ping();
    }
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}
