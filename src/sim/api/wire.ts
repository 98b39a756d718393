/**
 * How the simulator writes things on the wire, in Binance's JSON shapes: exact amounts as 8-decimal
 * strings ("0.10000000"), orders (with STP's and expiry's conditional fields), fills, symbols.
 */
import { formatFixed, type Decimal } from '../../model/decimal.js';
import { AVG_PRICE_MINS } from '../engine/avg-price.js';
import { DEFAULT_STP, STP_MODES, TRIGGER_TYPES, isTrigger, type OrderListView, type PreventedMatch, type SimFill, type SimOrder, type SymbolSpec } from '../engine/types.js';

export const amount = (x: Decimal): string => formatFixed(x, 8);

/** A commission in basis points (an account's makerCommission 10) as Binance writes the rate: "0.00100000". */
export const commissionRate = (basisPoints: number): string => amount(BigInt(basisPoints) * 10_000n);

/** The fields every order response shares (RESULT, cancel, query), with the conditional ones. */
export function resultFields(o: SimOrder): Record<string, unknown> {
  return {
    price: amount(o.price),
    origQty: amount(o.origQty),
    executedQty: amount(o.executedQty),
    origQuoteOrderQty: amount(o.origQuoteOrderQty),
    cummulativeQuoteQty: amount(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(isTrigger(o.type) ? { stopPrice: amount(o.stopPrice) } : {}),
    workingTime: o.isWorking ? (o.workingTime ?? o.time) : -1,
    selfTradePreventionMode: o.selfTradePreventionMode,
    ...(o.preventedMatchId !== undefined ? { preventedMatchId: o.preventedMatchId, preventedQuantity: amount(o.preventedQty) } : {}),
    ...(o.expiryReason !== undefined ? { expiryReason: o.expiryReason } : {}),
  };
}

/** A queried order's fields in the order Binance's docs show them; the conditional ones follow. */
const QUERY_ORDER_FIELDS = ['symbol', 'orderId', 'orderListId', 'clientOrderId', 'price', 'origQty', 'executedQty', 'cummulativeQuoteQty', 'status', 'timeInForce', 'type', 'side', 'stopPrice', 'icebergQty', 'time', 'updateTime', 'isWorking', 'workingTime', 'origQuoteOrderQty', 'selfTradePreventionMode'];

/** GET /api/v3/order, openOrders and allOrders (order.status, openOrders.status, allOrders). */
export function orderJson(o: SimOrder): unknown {
  const fields: Record<string, unknown> = {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    ...resultFields(o),
    stopPrice: amount(o.stopPrice),
    icebergQty: amount(0n),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.isWorking,
  };
  const conditional = Object.entries(fields).filter(([name]) => !QUERY_ORDER_FIELDS.includes(name));
  return Object.fromEntries([...QUERY_ORDER_FIELDS.map((name) => [name, fields[name]]), ...conditional]);
}

/** An order list as its answers show it (orderReports when the answer has them). */
export function listJson(list: OrderListView, orderReports?: unknown[]): unknown {
  return {
    orderListId: list.orderListId,
    contingencyType: list.contingencyType,
    listStatusType: list.listStatusType,
    listOrderStatus: list.listOrderStatus,
    listClientOrderId: list.listClientOrderId,
    transactionTime: list.transactionTime,
    symbol: list.symbol,
    orders: list.orders.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
    ...(orderReports ? { orderReports } : {}),
  };
}

export function fillJson(f: SimFill): unknown {
  return { price: amount(f.price), qty: amount(f.qty), commission: amount(f.commission), commissionAsset: f.commissionAsset, tradeId: f.tradeId };
}

/** A prevented match's quantities: a side's only when that side expired. */
export function preventedQuantitiesJson(m: Pick<PreventedMatch, 'takerPreventedQuantity' | 'makerPreventedQuantity'>): Record<string, string> {
  return {
    ...(m.takerPreventedQuantity !== undefined ? { takerPreventedQuantity: amount(m.takerPreventedQuantity) } : {}),
    ...(m.makerPreventedQuantity !== undefined ? { makerPreventedQuantity: amount(m.makerPreventedQuantity) } : {}),
  };
}

export function preventedMatchJson(m: PreventedMatch): unknown {
  return { preventedMatchId: m.preventedMatchId, makerOrderId: m.makerOrderId, price: amount(m.price), ...preventedQuantitiesJson(m) };
}

export function symbolJson(s: SymbolSpec): unknown {
  return {
    symbol: s.symbol,
    status: 'TRADING',
    baseAsset: s.baseAsset,
    baseAssetPrecision: s.basePrecision,
    quoteAsset: s.quoteAsset,
    quotePrecision: s.quotePrecision,
    quoteAssetPrecision: s.quotePrecision,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', ...TRIGGER_TYPES],
    icebergAllowed: false,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: amount(s.minPrice), maxPrice: amount(s.maxPrice), tickSize: amount(s.tickSize) },
      { filterType: 'LOT_SIZE', minQty: amount(s.minQty), maxQty: amount(s.maxQty), stepSize: amount(s.stepSize) },
      {
        filterType: 'NOTIONAL',
        minNotional: amount(s.minNotional),
        applyMinToMarket: s.applyMinToMarket,
        maxNotional: amount(s.maxNotional),
        applyMaxToMarket: s.applyMaxToMarket,
        avgPriceMins: AVG_PRICE_MINS,
      },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: DEFAULT_STP,
    allowedSelfTradePreventionModes: STP_MODES,
  };
}
