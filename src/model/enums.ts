/**
 * Enumerations of the domain model. Numeric values are what the binary layouts store; names follow
 * Kungfu's where Kungfu has one (see ../shared/reference/kungfu.md).
 */

function names<T extends Record<string, number>>(e: T): (value: number) => string {
  const byValue = new Map<number, string>(Object.entries(e).map(([k, v]) => [v, k]));
  return (value) => byValue.get(value) ?? `Unknown(${value})`;
}

export const OrderStatus = {
  Unknown: 0,
  Submitted: 1,
  Pending: 2,
  Cancelled: 3,
  Error: 4,
  Filled: 5,
  PartialFilledNotActive: 6,
  PartialFilledActive: 7,
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];
export const orderStatusName = names(OrderStatus);

/** A final order will never change again: no more fills, no cancel possible. */
export function isFinalStatus(status: number): boolean {
  return (
    status === OrderStatus.Cancelled ||
    status === OrderStatus.Error ||
    status === OrderStatus.Filled ||
    status === OrderStatus.PartialFilledNotActive
  );
}

export const Side = { Buy: 0, Sell: 1 } as const;
export type Side = (typeof Side)[keyof typeof Side];
export const sideName = names(Side);

export const Offset = { Open: 0, Close: 1 } as const;
export type Offset = (typeof Offset)[keyof typeof Offset];
export const offsetName = names(Offset);

export const PriceType = { Limit: 0, Market: 1, LimitMaker: 2 } as const;
export type PriceType = (typeof PriceType)[keyof typeof PriceType];
export const priceTypeName = names(PriceType);

export const TimeCondition = { IOC: 0, GFD: 1, GTC: 2, FOK: 3 } as const;
export type TimeCondition = (typeof TimeCondition)[keyof typeof TimeCondition];
export const timeConditionName = names(TimeCondition);

export const Direction = { Long: 0, Short: 1 } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];
export const directionName = names(Direction);

export const BrokerState = {
  Unknown: 0,
  Idle: 1,
  DisConnected: 2,
  Connected: 3,
  LoggedIn: 4,
  LoginFailed: 5,
  Ready: 100,
} as const;
export type BrokerState = (typeof BrokerState)[keyof typeof BrokerState];
export const brokerStateName = names(BrokerState);

export const OrderActionFlag = { Cancel: 0 } as const;
export type OrderActionFlag = (typeof OrderActionFlag)[keyof typeof OrderActionFlag];

export const InstrumentStatus = { Trading: 0, Halted: 1, Break: 2 } as const;
export type InstrumentStatus = (typeof InstrumentStatus)[keyof typeof InstrumentStatus];

/** What a Subscribe asks for: a bit set. */
export const MarketData = { Quote: 1, Depth: 2, Transaction: 4, All: 7 } as const;
