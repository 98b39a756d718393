/**
 * The ledger's part of the master's HTTP API. Reads come from the state the ledger publishes
 * (src/ledger/state-file.ts); the kill switch is a LedgerCommand the master writes to its journal's
 * part for the ledger, which the ledger carries out (and, if it is down, at its next start).
 *
 *   GET  /api/books       read     everything below in one document
 *   GET  /api/accounts    read     balances (free, locked, reserved by unconfirmed orders), broker states
 *   GET  /api/positions   read     per strategy and symbol: volume, average price, PnL
 *   GET  /api/orders      read     orders the ledger knows (open and recent)
 *   GET  /api/trades      read     the last fills
 *   GET  /api/pnl         read     PnL per strategy (realized, unrealized, fees)
 *   GET  /api/halts       read     halted scopes
 *   POST /api/ledger/halt?scope=all|account|strategy&name=N&cancel=true&reason=R   change
 *   POST /api/ledger/resume?scope=all|account|strategy&name=N                      change
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Locations } from '../journal/location.js';
import { JournalWriter } from '../journal/writer.js';
import { ledgerStatePath } from '../ledger/state-file.js';
import { LedgerCommandKind, Scope } from '../model/enums.js';
import { LedgerCommand, MsgType } from '../model/events.js';
import type { Logger } from '../util/log.js';

export type Reply = (res: ServerResponse, status: number, body: unknown) => void;

interface Published {
  accounts?: unknown[];
  strategies?: { strategy: string; positions: { account: string; symbol: string; realizedPnl: string; unrealizedPnl: string; quoteFees: string }[]; otherFees: unknown }[];
  orders?: unknown[];
  trades?: unknown[];
  halts?: unknown[];
  updatedAt?: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export class LedgerApi {
  private commands: JournalWriter | undefined;

  constructor(
    private readonly home: string,
    private readonly log: Logger,
    private readonly reply: Reply,
  ) {}

  private published(res: ServerResponse): Published | undefined {
    try {
      return JSON.parse(readFileSync(ledgerStatePath(this.home), 'utf8')) as Published;
    } catch {
      this.reply(res, 503, { error: 'the ledger has published no books yet: is it running? start it with kfc ledger (or run.sh start)' });
      return undefined;
    }
  }

  /** The read routes: each serves one part of what the ledger published. */
  read(part: 'books' | 'accounts' | 'positions' | 'orders' | 'trades' | 'pnl' | 'halts') {
    return (res: ServerResponse) => {
      const state = this.published(res);
      if (!state) return;
      switch (part) {
        case 'books':
          return this.reply(res, 200, state);
        case 'positions':
          return this.reply(res, 200, (state.strategies ?? []).flatMap((s) => s.positions.map((p) => ({ strategy: s.strategy, ...p }))));
        case 'pnl':
          return this.reply(
            res,
            200,
            (state.strategies ?? []).map((s) => ({
              strategy: s.strategy,
              positions: s.positions.map(({ account, symbol, realizedPnl, unrealizedPnl, quoteFees }) => ({ account, symbol, realizedPnl, unrealizedPnl, quoteFees })),
              otherFees: s.otherFees,
            })),
          );
        default:
          return this.reply(res, 200, state[part] ?? []);
      }
    };
  }

  /** POST /api/ledger/halt and /resume: validated, then written for the ledger. */
  command(kind: LedgerCommandKind, url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const scopeText = q.get('scope') ?? 'all';
    const scope = scopeText === 'all' ? Scope.All : scopeText === 'account' ? Scope.Account : scopeText === 'strategy' ? Scope.Strategy : undefined;
    if (scope === undefined) return this.reply(res, 400, { error: `scope=${scopeText}: use all, account or strategy` });
    const name = q.get('name') ?? '';
    if (scope !== Scope.All && !NAME.test(name)) return this.reply(res, 400, { error: `name=${JSON.stringify(name)}: give the ${scopeText} to ${kind === LedgerCommandKind.Halt ? 'halt' : 'resume'} (letters, digits, '_', '-', '.'; e.g. binance_my_account or demo_spot)` });
    const cancel = q.get('cancel');
    if (cancel !== null && cancel !== 'true' && cancel !== 'false') return this.reply(res, 400, { error: `cancel=${cancel}: use true or false` });
    const reason = (q.get('reason') ?? (kind === LedgerCommandKind.Halt ? 'halted by the operator' : '')).slice(0, 120);
    const c = LedgerCommand.empty();
    c.command = kind;
    c.scope_kind = scope;
    c.scope = scope === Scope.All ? '' : name;
    c.cancel_open = cancel === 'true';
    c.reason = reason;
    this.commands ??= JournalWriter.open({ home: this.home, location: Locations.master(), dest: Locations.ledger().uid, log: this.log });
    this.commands.write(MsgType.LedgerCommand, LedgerCommand, c);
    const what = scope === Scope.All ? 'everything' : `${scopeText} ${name}`;
    this.log.warn(`${kind === LedgerCommandKind.Halt ? 'halt' : 'resume'} of ${what} requested${c.cancel_open ? ', cancelling its open orders' : ''}${reason ? ` (${reason})` : ''}`);
    this.reply(res, 202, { accepted: true, command: kind === LedgerCommandKind.Halt ? 'halt' : 'resume', scope: scopeText, name: c.scope, cancel: c.cancel_open, reason });
  }

  close(): void {
    this.commands?.close();
  }
}
