/**
 * The Dockerfile, as far as it can be tested without a Docker engine: every file it copies from the
 * repository exists, every file it copies from the build stage is what `npm ci` + `npm run build`
 * make here, and the ecosystem its CMD names runs the stack under pm2-runtime (PM2 in the
 * foreground, as in the container) on a sim account, and stops when pm2-runtime is told to.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEMO_ACCOUNT, startSimServer } from '../../src/sim/sim-server.js';
import { kfcRun } from '../fixtures/kfc.js';
import { demoOrdersAtStop } from '../fixtures/demo-orders.js';
import { masterEvents, pm2Env, ROOT } from '../fixtures/pm2.js';
import { isFinalStatus } from '../../src/model/enums.js';
import { masterRegistry, waitFor } from '../helpers.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The instructions, continuation lines joined. */
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('Dockerfile', () => {
  it('copies files that exist: from the repository, and from the build stage after npm ci and npm run build', () => {
    const copies = instructions.filter((l) => l.startsWith('COPY '));
    assert.ok(copies.length >= 5, 'COPY lines found');
    for (const line of copies) {
      const words = line.split(/\s+/).slice(1);
      const fromBuild = words[0]?.startsWith('--from=');
      const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
      for (const src of sources) {
        const path = fromBuild ? join(ROOT, src.replace(/^\/app\/?/, '')) : join(ROOT, src);
        assert.ok(existsSync(path), `${line}: ${path} exists`);
      }
    }
    // The addon is built by npm ci (node-gyp), so its sources must be there before it runs.
    const npmCi = instructions.findIndex((l) => /^RUN npm ci\b/.test(l));
    for (const needed of ['binding.gyp', 'native']) {
      const at = instructions.findIndex((l) => l.startsWith('COPY ') && l.split(/\s+/).includes(needed));
      assert.ok(at >= 0 && at < npmCi, `${needed} is copied before npm ci`);
    }
    assert.ok(instructions.some((l) => /^COPY --from=build \/app\/build\/Release\b/.test(l)), 'the built addon reaches the final image');
    const cmd = instructions.find((l) => l.startsWith('CMD '));
    const args = JSON.parse(cmd!.slice(4)) as string[];
    assert.equal(args[0], 'node_modules/.bin/pm2-runtime');
    assert.ok(existsSync(join(ROOT, args[0]!)), 'pm2-runtime is installed');
    assert.ok(existsSync(join(ROOT, args.at(-1)!)), `${args.at(-1)} exists`);
    assert.match(dockerfile, /^ENV KF_HOME=\/app\/runtime$/m);
    assert.match(dockerfile, /^VOLUME \/app\/runtime$/m);
  });

  it('its CMD runs the stack under pm2-runtime; SIGTERM (docker stop) stops every process', { timeout: 180_000 }, async () => {
    const { env } = await pm2Env();
    const { server } = await startSimServer({ host: '127.0.0.1', port: 0, market: { seed: 3, rate: 5, levels: 10 } });
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const secret = join(env.KF_HOME, 'secret');
    writeFileSync(secret, DEMO_ACCOUNT.hmacSecret!, { mode: 0o600 });
    const added = await kfcRun(['account', '-s', 'binance', 'add', '-a', 'my_account', '--key', DEMO_ACCOUNT.apiKey, '--secret-file', secret, '--preset', `sim:${(server.address() as { port: number }).port}`], env);
    assert.equal(added.status, 0, added.stderr);

    const args = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    const runtime = spawn(join(ROOT, args[0]!), args.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    runtime.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    runtime.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) => runtime.on('exit', (code) => resolve(code)));
    after(() => void (runtime.exitCode === null && runtime.kill('SIGKILL')));

    const registry = async () => {
      try {
        return await masterRegistry(env.KF_MASTER_PORT);
      } catch {
        return [];
      }
    };
    const all = ['system/master/master/live', 'system/service/ledger/live', 'md/binance/binance/live', 'td/binance/my_account/live', 'strategy/default/demo_spot/live'];
    const up = await waitFor('the five processes registered', async () => {
      const r = await registry();
      return all.every((l) => r.some((p) => p.location === l)) ? r : undefined;
    }, 90_000, 200);
    // Logs on stdout, as the container's log driver reads them.
    await waitFor('the demo running, in pm2-runtime\'s output', () => /demo_spot: running/.test(out), 60_000);

    await waitFor('the demo has orders open at the exchange', () => demoOrdersAtStop(env.KF_HOME).last.size > 0, 60_000, 200);

    // docker stop: SIGTERM to pm2-runtime, which signals every app at once. Each still stops in
    // the shutdown order: the demo first (its cancels answered), then the gateways, then the ledger.
    runtime.kill('SIGTERM');
    assert.equal(await exited, 0, out.slice(-2000));
    for (const p of up) assert.throws(() => process.kill(p.pid, 0), `${p.location} (pid ${p.pid}) exited`);
    const stops = masterEvents(env.KF_HOME).filter((e) => e.kind === 'deregister');
    assert.deepEqual(stops.map((e) => `${e.location}: ${e.reason}`), stops.map((e) => `${e.location}: stopped`));
    assert.equal(stops.length, 4);
    assert.equal(stops[0]!.location, 'strategy/default/demo_spot/live');
    assert.deepEqual(stops.slice(1, 3).map((e) => e.location).sort(), ['md/binance/binance/live', 'td/binance/my_account/live']);
    assert.equal(stops[3]!.location, 'system/service/ledger/live');
    const { last, stoppedAt } = demoOrdersAtStop(env.KF_HOME);
    assert.ok(stoppedAt !== undefined, 'the TD journaled its stop');
    for (const [id, o] of last) {
      assert.ok(isFinalStatus(o.status), `order ${id} left ${o.status}`);
      assert.ok(o.gen < stoppedAt, `order ${id} answered before the TD stopped`);
    }
  });
});
