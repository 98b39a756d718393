#!/usr/bin/env node
/**
 * kfc: the one command of kungfu-ts. Global options follow the operations guide:
 *     kfc [-H home] [-l level] [-x] <command> ...
 */
import { Command, Option } from 'commander';
import { resolveHome } from '../journal/location.js';
import { createLogger, isLogLevel, LOG_LEVELS, setLogger, type LogLevel } from '../util/log.js';
import { journalCommand } from './journal.js';
import { runCli, UserError } from './errors.js';

interface GlobalOptions {
  home?: string;
  logLevel?: string;
  lowLatency?: boolean;
}

function globals(cmd: Command): { home: string; level: LogLevel; lowLatency: boolean } {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const level = g.logLevel ?? process.env.KF_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new UserError(`unknown log level "${level}": use one of ${LOG_LEVELS.join(', ')}`);
  return { home: resolveHome(g.home), level, lowLatency: g.lowLatency ?? false };
}

export function buildProgram(): Command {
  const program = new Command('kfc')
    .description('kungfu-ts: master, ledger, gateways and strategies over a shared journal')
    .option('-H, --home <dir>', 'KF_HOME, the root of all runtime files (env KF_HOME; default ~/.config/kungfu/app/runtime)')
    .addOption(new Option('-l, --log-level <level>', 'log level (env KF_LOG_LEVEL; default info)').choices([...LOG_LEVELS]))
    .option('-x, --low-latency', 'readers spin instead of sleeping: lowest latency, one busy core per process')
    .showHelpAfterError('(run kfc --help for usage)')
    .enablePositionalOptions();

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
      await journalCommand({ ...opts, home: g.home, lowLatency: g.lowLatency });
    });

  return program;
}

await runCli(async () => {
  await buildProgram().parseAsync(process.argv);
});
