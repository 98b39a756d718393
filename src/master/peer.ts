/**
 * Which process is at the other end of a control connection. A registration declares a pid; the
 * master believes it only if that process holds the connection's client socket, so a registrant
 * can never make the master watch or signal a process that is not itself.
 *
 * On Linux the kernel says so: /proc/net/tcp and /proc/net/tcp6 list every TCP socket of this
 * network namespace with its addresses and inode, and /proc/<pid>/fd links each open socket of a
 * process as `socket:[inode]`. We find the client's socket by its address:port pair (its local
 * end is our peer's address, its remote end our own) and look for its inode among the declared
 * pid's fds.
 *
 * Cost: one read of /proc/net/tcp{,6} (about 150 bytes per socket of the namespace: a few hundred
 * microseconds on a workstation, a few ms with tens of thousands of connections) and one readlink
 * per open fd of the registrant, once per registration and again before a SIGKILL; never per
 * message. Why it is enough: both tables are written by the kernel alone; an address:port pair names
 * one established socket at a time; and a process cannot put a socket into another process's fd
 * table without that process's help (a child that inherits the socket is the registrant's own).
 * A process of another user cannot be claimed either: its /proc/<pid>/fd is unreadable (unless the
 * master runs as root, and then the inode match still has to hold).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { endianness } from 'node:os';

export type PeerCheck = { verified: true } | { verified: false; supported: boolean; reason: string };

interface Endpoint {
  address: string;
  port: number;
}

/** An address as Node prints it, in one canonical form: IPv4 dotted, IPv6 as the URL parser writes it. */
function canonical(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address)) return address;
  try {
    return new URL(`http://[${address.replace(/%.*$/, '')}]`).hostname;
  } catch {
    return address;
  }
}

const littleEndian = endianness() === 'LE';

/** "0100007F:2328" (the kernel's hex, each 32-bit word in host byte order) -> { 127.0.0.1, 9000 }. */
function decodeEndpoint(hex: string): Endpoint {
  const [addrHex = '', portHex = '0'] = hex.split(':');
  const bytes = Buffer.from(addrHex, 'hex');
  if (littleEndian) for (let i = 0; i + 4 <= bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  let address: string;
  if (bytes.length === 4) address = [...bytes].join('.');
  else {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    address = groups.join(':');
  }
  return { address: canonical(address), port: parseInt(portHex, 16) };
}

/**
 * The inode of the socket whose local end is `local` and remote end `remote`; undefined when this
 * namespace has no such socket, null when /proc/net/tcp cannot be read (not Linux).
 */
export function socketInode(local: Endpoint, remote: Endpoint): number | undefined | null {
  const want = { local: { address: canonical(local.address), port: local.port }, remote: { address: canonical(remote.address), port: remote.port } };
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table: string;
    try {
      table = readFileSync(file, 'latin1');
      readAny = true;
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const l = decodeEndpoint(f[1]!);
      if (l.port !== want.local.port || l.address !== want.local.address) continue;
      const r = decodeEndpoint(f[2]!);
      if (r.port !== want.remote.port || r.address !== want.remote.address) continue;
      const inode = Number(f[9]);
      if (inode > 0) return inode;
    }
  }
  return readAny ? undefined : null;
}

/** Whether process `pid` has socket `inode` among its open fds (false when its fds cannot be read). */
export function holdsSocket(pid: number, inode: number): boolean {
  const target = `socket:[${inode}]`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/**
 * Whether `pid` holds the client end of `socket` (a connection the master accepted). `supported`
 * is false where the OS cannot tell (no /proc/net/tcp): the master then registers the process but
 * will never SIGKILL it.
 */
export function verifyPeer(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined; localAddress?: string | undefined; localPort?: number | undefined }, pid: number): PeerCheck {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return { verified: false, supported: true, reason: 'the connection has no peer address (closed?)' };
  const inode = socketInode({ address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort });
  if (inode === null) return { verified: false, supported: false, reason: 'this OS has no /proc/net/tcp to tell which process is connected' };
  if (inode === undefined) return { verified: false, supported: true, reason: `no local process holds the connection from ${remoteAddress}:${remotePort} (a remote host, or another network namespace)` };
  if (!holdsSocket(pid, inode)) return { verified: false, supported: true, reason: `pid ${pid} does not hold this connection (from ${remoteAddress}:${remotePort}): a process may register only its own pid` };
  return { verified: true };
}
