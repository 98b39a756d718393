/**
 * The `kfc account` commands' options and wiring; what each does is in account.ts, loaded only
 * when an account command runs.
 */
import { Command, Option } from 'commander';
import { resolveHome } from '../journal/location.js';
import { addNumberOption, withShared } from './options.js';

/** `kfc account -s SRC add|list|show|edit|remove` (src/cli/account.ts). */
export function addAccountCommands(account: Command): void {
  account
    .description('manage exchange accounts and their API keys ($KF_HOME/system/etc/kungfu/db/live/accounts.db)')
    .option('-s, --source <source>', 'exchange source', 'binance');
  const home = (cmd: Command): string => {
    for (let c: Command | null = cmd; c; c = c.parent) {
      const h = c.opts<{ home?: string }>().home;
      if (h !== undefined) return resolveHome(h);
    }
    return resolveHome();
  };
  const source = (cmd: Command): string => cmd.parent!.opts<{ source: string }>().source;
  const print = (text: string): void => void process.stdout.write(text + '\n');
  const settings = (cmd: Command, adding: boolean) => {
    cmd
      .option('--key <apiKey>', 'API key (not a secret: it is masked in listings)')
      .option('--secret-file <file>', 'read the HMAC secret from this file')
      .option('--secret-stdin', 'read the HMAC secret from standard input')
      .option('--ed25519-key-file <file>', 'use the Ed25519 private key in this PEM file (the path is stored; the key stays in its file)')
      .option('--ed25519-key-stdin', 'read an Ed25519 private key (PEM) from standard input and store it')
      .option('--preset <name>', `endpoints: production, testnet, sim or sim:<port>${adding ? ' (default production)' : ''}`)
      .option('--rest-url <url>', 'REST base URL')
      .option('--stream-url <url>', 'market streams base URL')
      .option('--ws-api-url <url>', 'WS API URL')
      .addOption(new Option('--order-api <api>', 'send orders over the WS API or REST (default ws)').choices(['ws', 'rest']))
      .option('--cancel-on-stop', "cancel the account's open orders when its gateway stops")
      .option('--no-cancel-on-stop', 'never cancel orders on stop (the default)')
      .option('--receive-md', 'this account receives market data for its source (the first account does)');
    addNumberOption(cmd, '--recv-window <ms>', 'recvWindow of signed requests', { min: 1, max: 60_000, unit: 'milliseconds' });
    return withShared(cmd, ['home']);
  };
  const a = () => import('./account.js');
  settings(account.command('add').description('add an account: flags, or questions when run in a terminal (the secret is not echoed)'), true)
    .option('-a, --account <name>', 'account name, e.g. my_account (its id is <source>_<name>)')
    .action(async (opts, cmd: Command) => print(await (await a()).accountAdd(home(cmd), source(cmd), opts.account, opts)));
  settings(account.command('edit').description("change an account's settings (a running gateway must be restarted to use them)"), false)
    .requiredOption('-a, --account <name>', 'account name')
    .action(async (opts, cmd: Command) => print(await (await a()).accountEdit(home(cmd), source(cmd), opts.account, opts)));
  withShared(account.command('list').description('list the accounts (secrets masked)'), ['home'])
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }, cmd: Command) => print(await (await a()).accountList(home(cmd), cmd.parent!.getOptionValueSource('source') === 'default' ? undefined : source(cmd), opts.json ?? false)));
  withShared(account.command('show').description("print an account's config, secrets masked to their first 4 characters"), ['home'])
    .requiredOption('-a, --account <name>', 'account name')
    .action(async (opts: { account: string }, cmd: Command) => print(await (await a()).accountShow(home(cmd), source(cmd), opts.account)));
  withShared(account.command('remove').alias('rm').description('remove an account (refused while its trading gateway runs)'), ['home'])
    .requiredOption('-a, --account <name>', 'account name')
    .action(async (opts: { account: string }, cmd: Command) => print(await (await a()).accountRemove(home(cmd), source(cmd), opts.account)));
}
