/**
 * The history writer lives exactly as long as its ledger: it exits when the IPC channel closes,
 * when it starts without one (the ledger closed it before the listener was there), or when it is
 * orphaned, so no writer outlives the ledger that started it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runNode } from '../fixtures/child.js';
import { alive, tmpHome, waitFor } from '../helpers.js';

const WRITER = fileURLToPath(new URL('../../dist/ledger/history-writer.js', import.meta.url));

describe('ledger history writer lifetime', () => {
  it('exits at once without an IPC channel to a ledger', async () => {
    const home = tmpHome();
    mkdirSync(join(home, 'journal'), { recursive: true });
    const child = spawn(process.execPath, [WRITER, home, 'info'], { stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
  });

  it('exits when its ledger is killed (SIGKILL: no stop, no disconnect call)', async () => {
    const home = tmpHome();
    mkdirSync(join(home, 'journal'), { recursive: true });
    // A stand-in ledger: starts the writer as the ledger does (an IPC channel), prints its pid, idles.
    const ledger = runNode(['-e', `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(WRITER)}, ${JSON.stringify(home)}, 'info'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }); console.log('writer ' + c.pid); setInterval(() => {}, 1000);`]);
    const pid = Number((await ledger.line(/^writer \d+$/)).split(' ')[1]);
    await waitFor('the writer running', () => alive(pid));
    ledger.proc.kill('SIGKILL');
    await ledger.exited;
    await waitFor('the writer gone', () => !alive(pid), 10_000);
  });
});
