/**
 * The processes' control channel, on the master's port: GET /control with Upgrade: kfc-control,
 * only with the master token and no foreign Origin (auth.ts), then lines of JSON (protocol.ts): one
 * registration per connection, within a time limit, and "stopping" notices; the connection's end
 * deregisters its process. Who may register, and what the master's journal says of it, is the
 * registry's (registry.ts); the master (master.ts) hands this every upgrade its HTTP server gets.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../util/log.js';
import type { AccessGuard } from './auth.js';
import { CONTROL_PATH, CONTROL_PROTOCOL, LineDecoder, MAX_LINE_TO_MASTER, toMaster } from './protocol.js';
import type { Entry, Registry } from './registry.js';

export interface ControlChannel {
  guard: AccessGuard;
  registry: Registry;
  log: Logger;
  /** How long a control connection may stay open without registering (default 10 s). */
  registrationTimeoutMs: number | undefined;
}

/** Answers an HTTP upgrade: a control connection, or a refusal that says why. */
export function acceptControlConnection(req: IncomingMessage, socket: Socket, head: Buffer, { guard, registry, log, registrationTimeoutMs }: ControlChannel): void {
  socket.on('error', () => socket.destroy());
  if (req.url !== CONTROL_PATH || req.headers.upgrade?.toLowerCase() !== CONTROL_PROTOCOL) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  const refusal = guard.check(req, 'change');
  if (refusal) {
    log.warn(`refused a control connection from ${socket.remoteAddress}:${socket.remotePort}: ${refusal.error}`);
    const body = JSON.stringify({ error: refusal.error });
    socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${CONTROL_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
  socket.setNoDelay(true);
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let entry: Entry | undefined;
  let attempted = false;
  let dropped: string | undefined;
  const drop = (reason: string) => {
    dropped = reason;
    log.warn(`dropped the control connection from ${peer}${entry ? ` (${entry.info.location}, pid ${entry.info.pid})` : ''}: ${reason}`);
    if (!entry && socket.writable) registry.send(socket, { type: 'refused', reason }); // so a kfc process can say why
    socket.destroy();
  };
  // Also ends a refused registrant that keeps its end open.
  const timeoutMs = registrationTimeoutMs ?? 10_000;
  const unregistered = setTimeout(() => drop(`no registration within ${timeoutMs} ms`), timeoutMs);
  unregistered.unref();
  const decoder = new LineDecoder(
    toMaster,
    MAX_LINE_TO_MASTER,
    (msg) => {
      if (msg.type === 'register' && !attempted) {
        attempted = true; // one registration per connection, refused or not
        entry = registry.register(msg, socket);
        if (entry) clearTimeout(unregistered);
      } else if (msg.type === 'stopping' && entry) entry.info.state = 'stopping';
      else drop(`unexpected ${msg.type} message`);
    },
    drop,
  );
  // (An upgraded HTTP socket may not change its encoding: decode each chunk instead.)
  if (head.length > 0) decoder.push(head);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  const leave = () => {
    clearTimeout(unregistered);
    if (entry && registry.holds(entry)) {
      registry.deregister(entry, entry.info.state === 'stopping' ? 'stopped' : dropped ? `dropped: ${dropped}` : 'connection lost');
    }
  };
  // HTTP sockets allow half-open connections: answer the process's end with ours, so it can exit.
  // It is deregistered first: a process that has exited after a clean stop (it waits for this
  // end) is in the master's journal as stopped.
  socket.on('end', () => {
    leave();
    socket.end();
  });
  socket.on('close', leave);
}
