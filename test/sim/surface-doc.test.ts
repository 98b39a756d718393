/**
 * The README's table of what the sim serves is what `npm run docs:sim` writes from the code's own
 * lists: it fails when a route, method or stream is added without regenerating the README, and
 * the generator reads the tables it is given (a row added to them appears; nothing is hard-coded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BINANCE_REST, BINANCE_WS_METHODS } from '../../src/sim/api/binance-surface.js';
import { REST_ROUTES } from '../../src/sim/api/routes.js';
import { STREAM_KINDS } from '../../src/sim/api/stream-names.js';
import { BEGIN, END, surfaceSection, withSection } from '../../src/sim/api/surface-doc.js';
import { WS_METHODS } from '../../src/sim/api/ws-methods.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README table of what the sim serves', () => {
  it('is exactly what npm run docs:sim writes', () => {
    const begin = readme.indexOf(BEGIN);
    assert.ok(begin >= 0, 'README.md has the marked section');
    assert.equal(readme.slice(begin, readme.indexOf(END) + END.length), surfaceSection(), 'README.md is out of date: run npm run docs:sim');
  });

  it('lists every route, method and stream of the code, and Binance operations the sim lacks as not supported', () => {
    const section = surfaceSection();
    for (const r of REST_ROUTES) assert.ok(section.includes(`| \`${r.method} ${r.path}\` |`), `${r.method} ${r.path}`);
    for (const m of Object.keys(WS_METHODS)) assert.ok(section.includes(`| \`${m}\` |`), m);
    for (const s of STREAM_KINDS) assert.ok(section.includes(s.form.replaceAll('|', '\\|')), s.form);
    const served = new Set(REST_ROUTES.map((r) => `${r.method} ${r.path}`));
    const notServed = section.slice(section.indexOf('not supported.'));
    for (const e of BINANCE_REST) assert.equal(notServed.includes(`\`${e}\``), !served.has(e), e);
    for (const m of BINANCE_WS_METHODS) assert.equal(notServed.includes(`\`${m}\``), !Object.hasOwn(WS_METHODS, m), m);
  });

  it('is written from the tables it is given: a new row appears, and leaves the not-served list', () => {
    const extra = { method: 'GET' as const, path: '/api/v3/allOrders', weight: 20, signed: true, params: ['symbol'], handle: () => [] };
    const section = surfaceSection({ routes: [...REST_ROUTES, extra], methods: WS_METHODS, streams: STREAM_KINDS });
    assert.ok(section.includes('| `GET /api/v3/allOrders` | 20 | SIGNED | `symbol`, `timestamp`, `recvWindow`, `signature` |'));
    assert.ok(!section.slice(section.indexOf('not supported.')).includes('`GET /api/v3/allOrders`'));
    assert.equal(withSection(`a\n${BEGIN}\nold\n${END}\nb`, 'NEW'), 'a\nNEW\nb');
    assert.throws(() => withSection('no markers', 'NEW'), /has no/);
  });
});
