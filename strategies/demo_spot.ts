/**
 * demo_spot: the demo strategy that `run.sh start` runs. It grows with the strategy runtime (market
 * data, orders); today it shows the lifecycle callbacks every strategy gets.
 */
import type { StrategyContext } from '../src/strategy/loader.js';

export function preStart(ctx: StrategyContext): void {
  ctx.log.info(`${ctx.name}: preStart`);
}

export function postStart(ctx: StrategyContext): void {
  ctx.log.info(`${ctx.name}: postStart, running`);
}

export function preStop(ctx: StrategyContext): void {
  ctx.log.info(`${ctx.name}: preStop, no open orders to cancel`);
}

export function postStop(ctx: StrategyContext): void {
  ctx.log.info(`${ctx.name}: postStop`);
}
