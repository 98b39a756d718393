#!/usr/bin/env node
/**
 * kfc: the one command of kungfu-ts. Global options and process commands follow the operations
 * guide (its dev_run.py arguments, kept):
 *     kfc [-H home] [-l level] [-x] master | ledger | md -s SRC | td -s SRC -a ACCT | strategy -s NAME -p FILE
 * plus tools: status, shutdown, journal.
 */
import { mkdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Locations, logDir, resolveHome, type Location } from '../journal/location.js';
import { masterAddress } from '../master/protocol.js';
import type { ServiceHooks } from '../runtime/service.js';
import { createLogger, isLogLevel, LOG_LEVELS, setLogger, type Logger, type LogLevel } from '../util/log.js';
import { runCli, UserError } from './errors.js';

interface GlobalOptions {
  home?: string;
  logLevel?: string;
  lowLatency?: boolean;
}

interface Globals {
  home: string;
  level: LogLevel;
  lowLatency: boolean;
}

function globals(cmd: Command): Globals {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const level = g.logLevel ?? process.env.KF_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new UserError(`unknown log level "${level}" (from -l or KF_LOG_LEVEL): use one of ${LOG_LEVELS.join(', ')}`);
  return { home: resolveHome(g.home), level, lowLatency: g.lowLatency ?? false };
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

function masterOptions(opts: { port?: string; host?: string }): { host: string; port: number } {
  const address = masterAddress(opts);
  if (!Number.isInteger(address.port) || address.port <= 0 || address.port > 65535) {
    throw new UserError(`master port "${opts.port ?? process.env.KF_MASTER_PORT}" is not a port number (1-65535): check --port or KF_MASTER_PORT`);
  }
  return address;
}

/** Runs a registered process (ledger, md, td, strategy) to its end and exits with its code. */
async function runProcess(cmd: Command, location: Location, name: string, wait: 'block' | 'loop', makeHooks: (log: Logger) => Promise<ServiceHooks> | ServiceHooks): Promise<void> {
  const g = globals(cmd);
  const log = processLogger(g, name);
  const hooks = await makeHooks(log);
  const { runService } = await import('../runtime/service.js');
  const code = await runService({ home: g.home, location, log, master: masterOptions(cmd.optsWithGlobals()), lowLatency: g.lowLatency, wait }, hooks);
  process.exit(code);
}

export function buildProgram(): Command {
  const program = new Command('kfc')
    .description('kungfu-ts: master, ledger, gateways and strategies over a shared journal')
    .option('-H, --home <dir>', 'KF_HOME, the root of all runtime files (env KF_HOME; default ~/.config/kungfu/app/runtime)')
    .addOption(new Option('-l, --log-level <level>', 'log level (env KF_LOG_LEVEL; default info)').choices([...LOG_LEVELS]))
    .option('-x, --low-latency', 'readers spin instead of sleeping: lowest latency, one busy core per process')
    .option('--port <port>', 'master port (env KF_MASTER_PORT; default 9000)')
    .option('--host <address>', 'master address (env KF_MASTER_HOST; default 127.0.0.1)')
    .configureOutput({ outputError: (text, write) => write(`${oneLineError(text)}\n`) })
    .enablePositionalOptions();

  program
    .command('master')
    .description('run the master: registry, health checks, ordered shutdown, HTTP API')
    .option('--phase-timeout <ms>', 'how long each shutdown phase waits for its processes', '10000')
    .action(async (opts: { phaseTimeout: string }, cmd: Command) => {
      const g = globals(cmd);
      const log = processLogger(g, 'master');
      const { Master } = await import('../master/master.js');
      const address = masterOptions(cmd.optsWithGlobals());
      const master = await Master.start({ home: g.home, ...address, log, phaseTimeoutMs: Number(opts.phaseTimeout) });
      const onSignal = (signal: string) => void master.shutdown(`signal ${signal}`);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      log.info(`master listening on ${master.address} (KF_HOME ${g.home})`);
      process.send?.('ready');
      await master.stopped;
      process.exit(0);
    });

  program
    .command('ledger')
    .description('run the ledger: books per account and strategy, pre-trade risk')
    .action(async (_opts, cmd: Command) => {
      const { ledgerHooks } = await import('../ledger/ledger-process.js');
      await runProcess(cmd, Locations.ledger(), 'ledger', 'block', () => ledgerHooks());
    });

  program
    .command('md')
    .description('run a market-data gateway')
    .requiredOption('-s, --source <source>', 'exchange source, e.g. binance')
    .action(async (opts: { source: string }, cmd: Command) => {
      const location = locationOrError(() => Locations.md(opts.source));
      const { gatewayHooks } = await import('../gateway/gateway-process.js');
      await runProcess(cmd, location, `md_${opts.source}`, 'loop', () => gatewayHooks('md', opts.source));
    });

  program
    .command('td')
    .description('run a trading gateway for one account')
    .requiredOption('-s, --source <source>', 'exchange source, e.g. binance')
    .requiredOption('-a, --account <account>', 'account id (see kfc account)')
    .action(async (opts: { source: string; account: string }, cmd: Command) => {
      const location = locationOrError(() => Locations.td(opts.source, opts.account));
      const { gatewayHooks } = await import('../gateway/gateway-process.js');
      await runProcess(cmd, location, `td_${opts.source}_${opts.account}`, 'loop', () => gatewayHooks('td', opts.source, opts.account));
    });

  program
    .command('strategy')
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

  program
    .command('sim')
    .description('run the Binance-compatible simulated exchange on loopback (REST API in this build)')
    .option('--port <port>', 'port to listen on (this command\'s own --port, not the master\'s)', '8500')
    .option('--seed <n>', 'seed of the synthetic market: the same seed, the same market (default 1)')
    .option('--rate <n>', 'synthetic market rounds per second, 0 for a still book (default 10)')
    .option('--config <file>', 'symbols, accounts, market and limits as JSON (see README)')
    .option('--account <spec...>', 'an HMAC account: name:apiKey:secret[:ASSET=amount,...]')
    .action(async (opts: { port: string; seed?: string; rate?: string; config?: string; account?: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const log = createLogger({ name: 'sim', level: g.level });
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UserError(`--port "${opts.port}" is not a port number (1-65535)`);
      const host = cmd.optsWithGlobals<{ host?: string }>().host ?? '127.0.0.1';
      const { startSimServer, DEMO_ACCOUNT } = await import('../sim/sim-server.js');
      const { loadSimConfig, parseSimConfig, symbolSpecs, accountsOf, parseAccountOption } = await import('../sim/config.js');
      const config = opts.config ? loadSimConfig(opts.config) : parseSimConfig({});
      const market = { ...(config.market ?? {}), seed: config.market?.seed ?? 1, rate: config.market?.rate ?? 10 };
      if (opts.seed !== undefined) {
        market.seed = Number(opts.seed);
        if (!Number.isInteger(market.seed)) throw new UserError(`--seed "${opts.seed}" is not a whole number`);
      }
      if (opts.rate !== undefined) {
        market.rate = Number(opts.rate);
        if (!(market.rate >= 0 && market.rate <= 1000)) throw new UserError(`--rate "${opts.rate}" must be a number of rounds per second from 0 to 1000`);
      }
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

  program
    .command('status')
    .description('list the registered processes (from the master)')
    .option('--json', 'print JSON instead of a table')
    .option('--wait <location...>', 'wait until these locations are registered and ready')
    .option('--timeout <seconds>', 'with --wait: give up after this long', '30')
    .action(async (opts: { json?: boolean; wait?: string[]; timeout: string }, cmd: Command) => {
      const { host, port } = masterOptions(cmd.optsWithGlobals());
      const api = await import('./master-api.js');
      const rows = opts.wait ? await api.waitForProcesses(host, port, opts.wait, Number(opts.timeout) * 1000) : await api.processes(host, port);
      process.stdout.write((opts.json ? JSON.stringify(rows, null, 2) : api.formatStatusTable(rows)) + '\n');
    });

  program
    .command('shutdown')
    .description('stop everything in order: strategies, gateways, ledger, then the master')
    .option('--timeout <seconds>', 'give up waiting after this long', '60')
    .action(async (opts: { timeout: string }, cmd: Command) => {
      const { host, port } = masterOptions(cmd.optsWithGlobals());
      const { shutdownMaster } = await import('./master-api.js');
      await shutdownMaster(host, port, Number(opts.timeout) * 1000);
      process.stdout.write('stopped\n');
    });

  program
    .command('journal')
    .description('print journal frames as JSON lines (or a latency report)')
    .option('-L, --location <location...>', 'only these locations, e.g. md/binance/binance/live')
    .option('-t, --type <type...>', 'only these message types, by name (Quote, Order, ...) or number')
    .option('--from <time>', 'frames at or after this time: ns since epoch, ISO time, or now-5m')
    .option('--to <time>', 'frames at or before this time')
    .option('-f, --follow', 'keep reading new frames until interrupted')
    .option('--latency', 'print a latency table per hop (gen_time - trigger_time) instead of frames')
    .option('-n, --limit <count>', 'stop after this many frames')
    .action(async (opts, cmd: Command) => {
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

await runCli(async () => {
  await buildProgram().parseAsync(process.argv);
});
