#!/usr/bin/env node
/**
 * kfc: the one command of kungfu-ts. Global options and process commands follow the operations
 * guide (its dev_run.py arguments, kept):
 *     kfc [-H home] [-l level] [-x] master | ledger | md -s SRC | td -s SRC -a ACCT | strategy -s NAME -p FILE
 * plus tools: sim, status, shutdown, journal, and those wired in their own files (account-commands.ts,
 * ledger-commands.ts). Shared options may also follow the command (`kfc status --port 9100`): see
 * options.ts.
 */
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { Locations, logDir, type Location } from '../journal/location.js';
import type { ServiceHooks } from '../runtime/service.js';
import { createLogger, setLogger, type Logger } from '../util/log.js';
import { runCli, UserError } from './errors.js';
import { addAccountCommands } from './account-commands.js';
import { addLedgerCommands } from './ledger-commands.js';
import { addNumberOption, FOR_MASTER, FOR_MASTER_CLIENT, FOR_PROCESS, globals, masterEndpoint, parseNumber, PORT, SECONDS, sharedValues, withShared, type Globals } from './options.js';

/**
 * `kfc journal | head -1`: when the reader of our output goes away, the command ends quietly with
 * exit code 0, as Unix tools do (Node ignores SIGPIPE, so the write fails with EPIPE instead).
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}

/** Makes sure KF_HOME can hold logs and journals, and sets up this process's logger. */
function processLogger(g: Globals, name: string): Logger {
  try {
    mkdirSync(logDir(g.home), { recursive: true });
    mkdirSync(`${g.home}/journal`, { recursive: true });
  } catch (err) {
    throw new UserError(`KF_HOME ${g.home} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set KF_HOME or -H to a directory this user can write`);
  }
  const log = createLogger({ name, level: g.level, dir: logDir(g.home) });
  setLogger(log);
  return log;
}

/** Runs a registered process (ledger, md, td, strategy) to its end and exits with its code. */
async function runProcess(cmd: Command, location: Location, name: string, wait: 'block' | 'loop', makeHooks: (log: Logger) => Promise<ServiceHooks> | ServiceHooks): Promise<void> {
  const g = globals(cmd);
  const { host, port } = masterEndpoint(sharedValues(cmd));
  const log = processLogger(g, name);
  const hooks = await makeHooks(log);
  const { runService } = await import('../runtime/service.js');
  const code = await runService({ home: g.home, location, log, master: { host, port }, lowLatency: g.lowLatency, wait }, hooks);
  process.exit(code);
}

export function buildProgram(): Command {
  const program = withShared(new Command('kfc'), [...FOR_PROCESS])
    .description('kungfu-ts: master, ledger, gateways and strategies over a shared journal')
    .configureOutput({ outputError: (text, write) => write(`${oneLineError(text)}\n`) })
    // A usage error (unknown command or option, bad choice) exits 2, like a bad number; help exits 0.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .enablePositionalOptions()
    .addHelpText('after', '\nThe options above may also follow a command that uses them (kfc status --port 9100), and win there;\nkfc <command> --help lists what each command takes.');
  const command = (name: string, shared: readonly Parameters<typeof withShared>[1][number][]) => withShared(program.command(name), [...shared]);

  const master = command('master', FOR_MASTER).description('run the master: registry, health checks, ordered shutdown, HTTP API (its token: $KF_HOME/system/master/master/token)');
  addNumberOption(master, '--phase-timeout <ms>', 'how long each shutdown phase waits for its processes', { min: 1, max: 600_000, unit: 'milliseconds' }, 10_000).action(
    async (opts: { phaseTimeout: number }, cmd: Command) => {
      const g = globals(cmd);
      const address = masterEndpoint(sharedValues(cmd));
      const log = processLogger(g, 'master');
      const { Master } = await import('../master/master.js');
      const master = await Master.start({ home: g.home, host: address.host, port: address.port, log, phaseTimeoutMs: opts.phaseTimeout });
      const onSignal = (signal: string) => void master.shutdown(`signal ${signal}`);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // PM2's stop or restart (the app files set shutdown_with_message): of the whole stack, the
      // ordered shutdown; of the master alone (pm2 restart master), the master alone.
      process.on('message', (m) => {
        if (m !== 'shutdown') return;
        master.markLeaving();
        void (async () => {
          const { Pm2Control } = await import('../master/pm2-control.js');
          const control = new Pm2Control(log);
          const group = await control.stoppingOthers();
          control.disconnect();
          await (group ? master.shutdown('PM2 is stopping the stack') : master.stopAlone('PM2 restart or stop of the master'));
        })();
      });
      log.info(`master listening on ${master.address} (KF_HOME ${g.home})`);
      process.send?.('ready');
      await master.stopped;
      process.exit(0);
    },
  );

  const ledger = command('ledger', FOR_PROCESS)
    .description('run the ledger: books per account and strategy, pre-trade risk, order routing, the kill switch (ledger halt|resume)')
    .action(async (_opts, cmd: Command) => {
      const { ledgerHooks } = await import('../ledger/ledger-process.js');
      await runProcess(cmd, Locations.ledger(), 'ledger', 'block', () => ledgerHooks());
    });
  addLedgerCommands(ledger);

  const md = command('md', FOR_PROCESS)
    .description('run a market-data gateway: binance (quotes, books, trades, bars, tickers, instruments into the journal, for what processes subscribe to)')
    .requiredOption('-s, --source <source>', 'exchange source, e.g. binance')
    .option('--preset <name>', 'where to connect: production, testnet, sim, sim:<port> or sim:<host>:<port> (default: the URLs of the account with receive_md, else env KF_BINANCE_PRESET, else production)')
    .option('--rest-url <url>', "REST base URL, replacing the preset's (env KF_BINANCE_REST_URL)")
    .option('--stream-url <url>', "market streams base URL, replacing the preset's (env KF_BINANCE_STREAM_URL)");
  addNumberOption(md, '--idle-after <seconds>', 'state Idle when a subscribed symbol has no market data this long', { min: 1, max: 86_400, unit: 'seconds' }, 60).action(
    async (opts: { source: string; preset?: string; restUrl?: string; streamUrl?: string; idleAfter: number }, cmd: Command) => {
      const location = locationOrError(() => Locations.md(opts.source));
      const { mdHooks } = await import('../gateway/gateway-process.js');
      const { preset, restUrl, streamUrl } = opts;
      await runProcess(cmd, location, `md_${opts.source}`, 'loop', () => mdHooks(globals(cmd).home, opts.source, { preset, restUrl, streamUrl, idleMs: opts.idleAfter * 1000 }));
    },
  );

  command('td', FOR_PROCESS)
    .description('run a trading gateway for one account: orders from the journal to the exchange, order updates, fills and balances back')
    .requiredOption('-s, --source <source>', 'exchange source, e.g. binance')
    .requiredOption('-a, --account <account>', 'account name, e.g. my_account (add it first: kfc account -s binance add)')
    .action(async (opts: { source: string; account: string }, cmd: Command) => {
      const location = locationOrError(() => Locations.td(opts.source, opts.account));
      const { tdHooks } = await import('../gateway/gateway-process.js');
      await runProcess(cmd, location, `td_${opts.source}_${opts.account}`, 'loop', () => tdHooks(globals(cmd).home, opts.source, opts.account));
    });

  command('strategy', FOR_PROCESS)
    .description('run a strategy file')
    .requiredOption('-s, --name <name>', 'strategy name (unique)')
    .requiredOption('-p, --path <file>', 'strategy file (.ts or .js)')
    .action(async (opts: { name: string; path: string }, cmd: Command) => {
      const location = locationOrError(() => Locations.strategy(opts.name));
      const { loadStrategy, strategyBuildDir } = await import('../strategy/loader.js');
      const { strategyHooks } = await import('../strategy/strategy-process.js');
      // Load before registering: a broken file fails fast, in one line.
      const strategy = await loadStrategy(opts.path, strategyBuildDir(globals(cmd).home, opts.name));
      await runProcess(cmd, location, `strategy_${opts.name}`, 'block', () => strategyHooks(opts.name, strategy));
    });

  // The sim is the exchange, not part of the stack: its --port and --host are its own, and it
  // ignores the master's (before the command name).
  const sim = command('sim', ['logLevel'])
    .description('run the Binance-compatible simulated exchange: REST API, market streams and WS API, on loopback by default')
    .option('--host <address>', "address to listen on (the sim's own, not the master's)", '127.0.0.1');
  addNumberOption(sim, '--port <port>', "port to listen on (the sim's own, not the master's; env KF_SIM_PORT; default 8500)", PORT);
  addNumberOption(sim, '--seed <n>', 'seed of the synthetic market: the same seed, the same market (default 1)', { min: -(2 ** 31), max: 2 ** 31 - 1 });
  addNumberOption(sim, '--rate <n>', 'synthetic market rounds per second, 0 for a still book (default 10)', { min: 0, max: 1000, integer: false });
  sim
    .option('--config <file>', 'symbols, accounts, market and limits as JSON (see README)')
    .option('--account <spec...>', 'an account: name:apiKey:hmacSecret[:ASSET=amount,...], or name:apiKey:@public-key.pem[:...] for an RSA or Ed25519 key')
    .action(async (opts: { host: string; port?: number; seed?: number; rate?: number; config?: string; account?: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const log = createLogger({ name: 'sim', level: g.level });
      setLogger(log); // the synthetic market reports a failed round here
      const { host } = opts;
      const simPortEnv = process.env.KF_SIM_PORT || undefined;
      const port = opts.port ?? (simPortEnv === undefined ? 8500 : parseNumber(simPortEnv, { what: 'KF_SIM_PORT', ...PORT }));
      const { startSimServer, DEMO_ACCOUNT } = await import('../sim/sim-server.js');
      const { loadSimConfig, parseSimConfig, symbolSpecs, accountsOf, parseAccountOption } = await import('../sim/config.js');
      const config = opts.config ? loadSimConfig(opts.config) : parseSimConfig({});
      const market = { ...(config.market ?? {}), seed: opts.seed ?? config.market?.seed ?? 1, rate: opts.rate ?? config.market?.rate ?? 10 };
      const accounts = [...accountsOf(config), ...(opts.account ?? []).map(parseAccountOption)];
      const symbols = symbolSpecs(config);
      const { server } = await startSimServer({
        host,
        port,
        market: market.rate > 0 ? market : false,
        accounts: accounts.map((a) => a.account),
        deposits: Object.fromEntries(accounts.map((a) => [a.account.name, a.balances])),
        ...(symbols ? { symbols } : {}),
        ...(config.weightLimit !== undefined ? { weightLimit: config.weightLimit } : {}),
        ...(config.orderLimit !== undefined ? { orderLimit: config.orderLimit } : {}),
      });
      const { keyTypeOf } = await import('../sim/api/rest.js');
      for (const a of accounts) log.info(`account ${a.account.name}: API key ${a.account.apiKey} (${keyTypeOf(a.account)})`);
      log.info(`simulated exchange on http://${host}:${port} (REST /api/v3, streams /ws and /stream, WS API /ws-api/v3); demo account API key ${DEMO_ACCOUNT.apiKey} (credentials in the README)`);
      const stop = () => {
        server.closeAllConnections();
        server.close(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.send?.('ready');
    });

  const status = command('status', FOR_MASTER_CLIENT)
    .description('list the registered processes (from the master); --books: balances, positions, PnL, open orders, halts (from the ledger)')
    .option('--json', 'print JSON instead of a table')
    .option('--books', 'also the ledger\'s books: balances, positions and PnL, open orders, halts')
    .option('--wait <location...>', 'wait until these locations are registered and ready');
  addNumberOption(status, '--timeout <seconds>', 'with --wait: give up after this long', SECONDS, 30).action(
    async (opts: { json?: boolean; books?: boolean; wait?: string[]; timeout: number }, cmd: Command) => {
      const master = masterEndpoint(sharedValues(cmd));
      const api = await import('./master-api.js');
      const rows = opts.wait ? await api.waitForProcesses(master, opts.wait, opts.timeout * 1000) : await api.processes(master);
      const books = opts.books ? await api.books(master) : undefined;
      if (opts.json) process.stdout.write(JSON.stringify(books ? { processes: rows, books } : rows, null, 2) + '\n');
      else {
        const { formatBooks } = await import('./books.js');
        process.stdout.write(api.formatStatusTable(rows) + '\n' + (books ? `\n${formatBooks(books)}\n` : ''));
      }
    },
  );

  const shutdown = command('shutdown', FOR_MASTER_CLIENT).description(
    'stop everything in order: strategies, gateways, ledger, then the master (sends the master token from KF_HOME)',
  );
  addNumberOption(shutdown, '--timeout <seconds>', 'give up waiting after this long', SECONDS, 60).action(async (opts: { timeout: number }, cmd: Command) => {
    const master = masterEndpoint(sharedValues(cmd));
    const { shutdownMaster } = await import('./master-api.js');
    await shutdownMaster(master, opts.timeout * 1000);
    process.stdout.write('stopped\n');
  });

  addAccountCommands(command('account', ['home']));

  const journal = command('journal', ['home', 'logLevel', 'lowLatency'])
    .description('print journal frames as JSON lines (or a latency report)')
    .option('-L, --location <location...>', 'only these locations, e.g. md/binance/binance/live')
    .option('-t, --type <type...>', 'only these message types, by name (Quote, Order, ...) or number')
    .option('--from <time>', 'frames at or after this time: ns since epoch, ISO time, or now-5m')
    .option('--to <time>', 'frames at or before this time')
    .option('-f, --follow', 'keep reading new frames until interrupted')
    .option('--latency', 'print a latency table per hop (gen_time - trigger_time) instead of frames');
  addNumberOption(journal, '-n, --limit <count>', 'stop after this many frames', { min: 1, max: Number.MAX_SAFE_INTEGER }).action(async (opts, cmd: Command) => {
    const g = globals(cmd);
    setLogger(createLogger({ name: 'journal', level: g.level, fd: 2 }));
    const { journalCommand } = await import('./journal.js');
    await journalCommand({ ...opts, home: g.home, lowLatency: g.lowLatency });
  });

  return program;
}

/** Commander's usage errors as one "kfc: ..." line, like every other user error. */
function oneLineError(text: string): string {
  const line = text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ');
  return `kfc: ${line} (see kfc --help)`;
}

function locationOrError(make: () => Location): Location {
  try {
    return make();
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

endQuietlyOnClosedPipe();
// Everything kfc creates under KF_HOME (journals, logs, accounts, tokens) is the user's alone:
// files that name no mode are 0600, directories 0700.
process.umask(0o077);
await runCli(async () => {
  await buildProgram().parseAsync(process.argv);
});
