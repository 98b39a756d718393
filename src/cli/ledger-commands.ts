/**
 * The `kfc ledger` tools' options and wiring: halt and resume (the kill switch, sent through the
 * master) and history (the ledger's SQLite history). What they do is in master-api.ts and
 * history.ts, loaded only when one runs; `kfc ledger` itself, the process, is in kfc.ts.
 */
import type { Command } from 'commander';
import type { HistoryTable } from '../ledger/history-db.js';
import type { HistoryOptions } from './history.js';
import { UserError } from './errors.js';
import { addNumberOption, FOR_MASTER_CLIENT, globals, masterEndpoint, sharedValues, withShared } from './options.js';

/** `kfc ledger halt|resume|history` under `ledger`, the command that runs the ledger. */
export function addLedgerCommands(ledger: Command): void {
  for (const verb of ['halt', 'resume'] as const) {
    withShared(ledger.command(verb), [...FOR_MASTER_CLIENT])
      .description(
        verb === 'halt'
          ? 'kill switch: refuse new orders (cancels still pass) for everything, one account or one strategy; survives a ledger restart'
          : 'lift a halt of everything, one account or one strategy',
      )
      .option('--account <account>', 'only this account, as <source>_<account> (e.g. binance_my_account)')
      .option('--strategy <name>', 'only this strategy (e.g. demo_spot)')
      .option('--reason <text>', 'why (shown to strategies and in the logs)')
      .option('--cancel', verb === 'halt' ? 'also cancel the open orders in that scope' : 'ignored: a resume cancels nothing')
      .action(async (opts: { account?: string; strategy?: string; reason?: string; cancel?: boolean }, cmd: Command) => {
        if (opts.account && opts.strategy) throw new UserError('give --account or --strategy, not both (or neither, for everything)');
        const { ledgerCommand, books } = await import('./master-api.js');
        const endpoint = masterEndpoint(sharedValues(cmd));
        // A misspelt scope would halt nothing while saying it did: an account must be one that exists.
        if (opts.account) {
          const { AccountStore } = await import('../config/accounts.js');
          const store = AccountStore.open(endpoint.home, { create: false });
          const ids = store ? store.list().map((a) => a.accountId) : [];
          store?.close();
          if (!ids.includes(opts.account)) {
            const like = ids.find((id) => id.endsWith(`_${opts.account}`));
            throw new UserError(`no account ${opts.account} in ${endpoint.home}: ${like ? `did you mean ${like}? ` : ''}accounts are named <source>_<name> (kfc account list shows them)`, 2);
          }
        }
        const scope = opts.account ? { scope: 'account', name: opts.account } : opts.strategy ? { scope: 'strategy', name: opts.strategy } : { scope: 'all', name: '' };
        const answer = await ledgerCommand(endpoint, verb, { ...scope, cancel: verb === 'halt' && opts.cancel === true, reason: opts.reason });
        process.stdout.write(`${answer}\n`);
        if (opts.strategy) {
          const known = ((await books(endpoint).catch(() => ({}))) as { strategies?: { strategy: string }[] }).strategies ?? [];
          if (!known.some((x) => x.strategy === opts.strategy)) process.stderr.write(`kfc: note: the ledger has no strategy ${opts.strategy} yet; the ${verb} applies to one of that name when it trades\n`);
        }
      });
  }

  const history = withShared(ledger.command('history'), ['home'])
    .description('the ledger\'s history (SQLite): orders, trades, assets (balance changes) or positions, newest last')
    .argument('<what>', 'orders, trades, assets or positions')
    .option('--strategy <name>', 'only this strategy')
    .option('--account <account>', 'only this account, as <source>_<account>')
    .option('--symbol <symbol>', 'only this symbol')
    .option('--since <time>', 'from this time on: ISO (2026-11-29T08:00:00Z), ns since the epoch, or now-1h')
    .option('--json', 'print JSON instead of a table');
  addNumberOption(history, '--limit <rows>', 'at most this many rows (the newest)', { min: 1, max: 1_000_000, unit: 'rows' }, 50).action(
    async (what: string, opts: HistoryOptions, cmd: Command) => {
      const tables = ['orders', 'trades', 'assets', 'positions'];
      if (!tables.includes(what)) throw new UserError(`unknown history "${what}": use one of ${tables.join(', ')}`, 2);
      const { printHistory } = await import('./history.js');
      process.stdout.write(printHistory(globals(cmd).home, what as HistoryTable, opts) + '\n');
    },
  );
}
