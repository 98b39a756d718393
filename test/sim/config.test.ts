import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ed25519Signature, hmacSignature, rsaSignature } from '../../src/sim/api/signing.js';
import { parseAccountOption, parseSimConfig } from '../../src/sim/config.js';
import { UserError } from '../../src/util/errors.js';
import { kfcProcess, kfcRun } from '../fixtures/kfc.js';
import { freePort, tmpHome } from '../helpers.js';

const oneLine = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));

describe('sim configuration', { timeout: 60_000 }, () => {
  it('names the field that is wrong, in one line', () => {
    oneLine(() => parseSimConfig({ accounts: [{ name: 'a', apiKey: 'short' , hmacSecret: 'x'.repeat(10) }] }), /^sim config: accounts\.0\.apiKey: API keys have at least 8 characters$/);
    oneLine(() => parseSimConfig({ accounts: [{ name: 'a', apiKey: 'a-long-key', hmacSecret: 'x'.repeat(10), ed25519PublicKey: 'pem' }] }), /accounts\.0: give exactly one of hmacSecret, rsaPublicKey and ed25519PublicKey/);
    oneLine(() => parseSimConfig({ symbols: [{ symbol: 'SOLUSDT', baseAsset: 'SOL', quoteAsset: 'USDT', tickSize: '0.001000001', stepSize: '0.01', startPrice: '150' }] }), /symbols\.0\.tickSize: expected a non-negative decimal string/);
    oneLine(() => parseSimConfig({ sybmols: [] }), /^sim config: \(top level\): Unrecognized key: "sybmols"$/);
    oneLine(() => parseAccountOption('bob:key-only'), /^--account "bob:key-only:\.\.\.": expected name:apiKey:hmacSecret/);
    oneLine(() => parseAccountOption('bob:bob-key-123:bob-secret:USDT'), /balance "USDT" should be ASSET=amount/);
    assert.equal(parseAccountOption('bob:bob-key-123:bob-secret:USDT=500,BTC=0.5').balances.BTC, '0.5');
  });

  it('kfc sim takes symbols and accounts from --config and --account; never logs secrets', async () => {
    const home = tmpHome();
    const ed = generateKeyPairSync('ed25519');
    const file = join(home, 'sim.json');
    writeFileSync(
      file,
      JSON.stringify({
        symbols: [{ symbol: 'SOLUSDT', baseAsset: 'SOL', quoteAsset: 'USDT', tickSize: '0.001', stepSize: '0.01', minNotional: '1', startPrice: '150' }],
        accounts: [{ name: 'carol', apiKey: 'carol-ed-key', ed25519PublicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString(), balances: { USDT: '2500', SOL: '3' } }],
        market: { seed: 5, rate: 20 },
      }),
    );
    const port = await freePort();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = join(home, 'dave-rsa.pem');
    writeFileSync(pem, rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const sim = kfcProcess(['sim', '--port', String(port), '--config', file, '--account', 'bob:bob-key-123:bob-secret-xyz:USDT=500', `dave:dave-rsa-key:@${pem}:USDT=700`], { KF_HOME: home, KF_MASTER_PORT: '1' });
    await sim.line(/simulated exchange on/);
    const info = (await (await fetch(`http://127.0.0.1:${port}/api/v3/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
    assert.deepEqual(info.symbols.map((s) => s.symbol), ['SOLUSDT']);
    const balances = async (key: string, sign: (q: string) => string) => {
      const q = `timestamp=${Date.now()}`;
      const r = await fetch(`http://127.0.0.1:${port}/api/v3/account?${q}&signature=${encodeURIComponent(sign(q))}`, { headers: { 'X-MBX-APIKEY': key } });
      return ((await r.json()) as { balances: { asset: string; free: string }[] }).balances.map((b) => [b.asset, b.free]);
    };
    assert.deepEqual(await balances('bob-key-123', (q) => hmacSignature('bob-secret-xyz', q)), [['USDT', '500.00000000']]);
    assert.deepEqual(await balances('carol-ed-key', (q) => ed25519Signature(ed.privateKey, q)), [['USDT', '2500.00000000'], ['SOL', '3.00000000']]);
    assert.deepEqual(await balances('dave-rsa-key', (q) => rsaSignature(rsa.privateKey, q)), [['USDT', '700.00000000']]);
    assert.ok(sim.lines.some((l) => l.includes('account bob: API key bob-key-123 (HMAC)')));
    assert.ok(sim.lines.some((l) => l.includes('account dave: API key dave-rsa-key (RSA)')));
    assert.ok(!sim.lines.some((l) => l.includes('bob-secret-xyz')), 'no secret in the log');
    sim.proc.kill('SIGINT');
    assert.equal((await sim.exited).code, 0);

    writeFileSync(file, '{"accounts": [{"name": "x"}]}');
    const bad = await kfcRun(['sim', '--port', String(port), '--config', file], { KF_HOME: home });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /^kfc: sim config .*sim\.json: accounts\.0\.apiKey: /);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });
});
