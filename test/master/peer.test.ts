/**
 * peer.ts against real sockets: the process that holds a connection's client end is found, over
 * IPv4 and IPv6 loopback, in this process and in a child; any other pid is not.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { verifyPeer } from '../../src/master/peer.js';
import { runNode } from '../fixtures/child.js';

/** A server on `host`; resolves with it and a function that waits for its next accepted socket. */
async function listen(host: string): Promise<{ server: Server; port: number; accepted: () => Promise<Socket> }> {
  const waiting: ((s: Socket) => void)[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    waiting.shift()?.(s);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  after(() => server.close());
  return { server, port: (server.address() as { port: number }).port, accepted: () => new Promise((resolve) => waiting.push(resolve)) };
}

describe('verifyPeer', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`finds the pid holding the client end (${host}); refuses any other pid`, async () => {
      const { port, accepted } = await listen(host);
      const next = accepted();
      const client = createConnection({ host, port });
      after(() => client.destroy());
      const serverSide = await next;

      assert.deepEqual(verifyPeer(serverSide, process.pid), { verified: true });
      const other = verifyPeer(serverSide, process.ppid);
      assert.equal(other.verified, false);
      assert.match(!other.verified ? other.reason : '', new RegExp(`^pid ${process.ppid} does not hold this connection \\(from ${host.replace(/\./g, '\\.')}:${client.localPort}\\)`));
    });
  }

  it('finds a child process holding the client end, and not its parent', async () => {
    const { port, accepted } = await listen('127.0.0.1');
    const next = accepted();
    const child = runNode(['-e', `require('net').createConnection({ host: '127.0.0.1', port: ${port} }, () => console.log('connected')); setInterval(() => {}, 1000)`]);
    after(() => void (child.proc.exitCode === null && child.proc.kill('SIGKILL')));
    const serverSide = await next;
    await child.line(/^connected$/);
    assert.deepEqual(verifyPeer(serverSide, child.proc.pid!), { verified: true });
    assert.equal(verifyPeer(serverSide, process.pid).verified, false, 'the test process holds no end of this connection');
  });

  it('a closed connection verifies nobody', async () => {
    const { port, accepted } = await listen('127.0.0.1');
    const next = accepted();
    const client = createConnection({ host: '127.0.0.1', port });
    const serverSide = await next;
    client.destroy();
    serverSide.destroy();
    assert.equal(verifyPeer(serverSide, process.pid).verified, false);
  });
});
