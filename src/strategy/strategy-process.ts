/**
 * The strategy process (`kfc strategy -s NAME -p FILE`): loads the file before registering (a
 * broken file fails fast, in one line), runs preStart/postStart once ready and preStop/postStop
 * when stopped (strategies stop first in the ordered shutdown).
 */
import { nowNs } from '../journal/clock.js';
import type { ServiceHooks } from '../runtime/service.js';
import { callLifecycle, type Strategy, type StrategyContext } from './loader.js';

export function strategyHooks(name: string, strategy: Strategy): ServiceHooks {
  let sctx: StrategyContext | undefined;
  return {
    async start(ctx) {
      // The time of the event being handled; before the first event, the clock.
      sctx = { name, log: ctx.log, now: () => ctx.loop.now() || nowNs() };
      await callLifecycle(strategy, 'preStart', sctx);
      await callLifecycle(strategy, 'postStart', sctx);
    },
    async stop() {
      if (!sctx) return;
      await callLifecycle(strategy, 'preStop', sctx);
      await callLifecycle(strategy, 'postStop', sctx);
    },
  };
}
