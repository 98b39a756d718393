/**
 * POST /api/v3/order/cancelReplace and the WS API's order.cancelReplace: cancels an order and
 * places a new one, as Binance answers it. The parameters and the new order's filters are checked
 * first (a plain error, nothing done); then the cancel, and the new order unless the cancel failed
 * with STOP_ON_FAILURE. Both succeed: 200 with both answers. One fails: -2021 with HTTP 409 and
 * both outcomes in `data`; the cancel fails under STOP_ON_FAILURE, or both fail: -2022 with 400.
 * Past the ORDERS limit: see cancelReplace's comment.
 */
import { CLIENT_ORDER_ID } from '../engine/client-ids.js';
import { ExchangeError } from '../engine/types.js';
import type { SimAccount } from './accounts.js';
import { symbolOf, type SimContext } from './context.js';
import type { RateLimitError } from './limits.js';
import type { Params } from './params.js';
import { ORDER_PARAMS, cancelOrder, orderRef, orderRequest, placeOrder, restrictionOf } from './trading.js';

export const CANCEL_REPLACE_PARAMS = [...ORDER_PARAMS, 'cancelReplaceMode', 'cancelNewClientOrderId', 'cancelOrigClientOrderId', 'cancelOrderId', 'cancelRestrictions', 'orderRateLimitExceededMode'] as const;

type Outcome = { ok: true; answer: unknown } | { ok: false; answer: { code: number; msg: string } };

/** Runs `step`, turning Binance's refusal into its part of the answer. */
function attempt(step: () => unknown): Outcome {
  try {
    return { ok: true, answer: step() };
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    return { ok: false, answer: { code: err.code, msg: err.message } };
  }
}

/**
 * `overOrderLimit`: the account is past the ORDERS limit (the transport counted the request). With
 * orderRateLimitExceededMode=DO_NOTHING that refusal is the answer; with CANCEL_ONLY the cancel still
 * happens, the new order fails with the -1015, and STOP_ON_FAILURE answers HTTP 429 (Binance's table).
 */
export function cancelReplace(ctx: SimContext, p: Params, account: SimAccount, overOrderLimit?: RateLimitError): unknown {
  const symbol = symbolOf(ctx, p);
  const mode = p.oneOf('cancelReplaceMode', ['STOP_ON_FAILURE', 'ALLOW_FAILURE'] as const);
  const limitMode = p.oneOf('orderRateLimitExceededMode', ['DO_NOTHING', 'CANCEL_ONLY'] as const, 'DO_NOTHING');
  const ref = orderRef(p, 'cancelOrderId', 'cancelOrigClientOrderId');
  const cancelId = p.matching('cancelNewClientOrderId', CLIENT_ORDER_ID);
  const restriction = restrictionOf(p, 'cancelRestrictions');
  const { req, respType } = orderRequest(ctx, p, account);
  if (overOrderLimit && limitMode === 'DO_NOTHING') throw overOrderLimit;
  ctx.engine.plan(req); // filters before anything happens
  const overLimitStatus = overOrderLimit && mode === 'STOP_ON_FAILURE' ? 429 : undefined;
  const canceled = attempt(() => cancelOrder(ctx, account, symbol, ref, cancelId, restriction));
  if (!canceled.ok && mode === 'STOP_ON_FAILURE') {
    throw new ExchangeError(-2022, 'Order cancel-replace failed.', overLimitStatus ?? 400, { cancelResult: 'FAILURE', newOrderResult: 'NOT_ATTEMPTED', cancelResponse: canceled.answer, newOrderResponse: null });
  }
  const placed: Outcome = overOrderLimit ? { ok: false, answer: { code: overOrderLimit.code, msg: overOrderLimit.message } } : attempt(() => placeOrder(ctx, req, respType));
  const result = { cancelResult: canceled.ok ? 'SUCCESS' : 'FAILURE', newOrderResult: placed.ok ? 'SUCCESS' : 'FAILURE', cancelResponse: canceled.answer, newOrderResponse: placed.answer };
  if (canceled.ok && placed.ok) return result;
  if (!canceled.ok && !placed.ok) throw new ExchangeError(-2022, 'Order cancel-replace failed.', 400, result);
  throw new ExchangeError(-2021, 'Order cancel-replace partially failed.', overLimitStatus ?? 409, result);
}
