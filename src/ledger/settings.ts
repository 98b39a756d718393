/**
 * The ledger's risk limits: `$KF_HOME/system/etc/kungfu/risk.json`, optional, validated, re-read
 * when it changes. A bad file is one log line naming the field, and the limits in force stay.
 *
 *     {
 *       "limits":     { "maxOrderNotional": "5000", "maxOpenOrders": 20 },   // everyone
 *       "accounts":   { "binance_my_account": { "maxOrdersPerSecond": 5 } },
 *       "strategies": { "demo_spot": { "dailyLossLimit": "200" } }
 *     }
 *
 * For an order of strategy S on account A, each limit is the most specific one given: S's, else
 * A's, else the file's `limits`, else the default below. Amounts are decimal strings in the
 * order's quote asset; `priceBandPercent` is how far a limit price may be from the last quote.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDecimal, type Decimal } from '../model/decimal.js';
import { decimalText, integer, object, optional, record, SchemaError, type Infer } from '../util/schema.js';

export interface Limits {
  /** Largest notional (price x quantity, in the quote asset) of one order. */
  maxOrderNotional: Decimal;
  /** Largest |position| x price a strategy may hold in one symbol after an order fills. */
  maxPositionNotional: Decimal;
  /** Open orders a strategy may have on an account at once. */
  maxOpenOrders: number;
  /** New orders a strategy may send per second. */
  maxOrdersPerSecond: number;
  /** A strategy whose PnL today (UTC; realized + unrealized) is below -this may only reduce. */
  dailyLossLimit: Decimal;
  /** How far (percent) a limit price may be from the last quote's mid. */
  priceBandPercent: Decimal;
}

/** Safe defaults: a runaway strategy is stopped early; set higher limits in risk.json. */
export const DEFAULT_LIMITS: Limits = {
  maxOrderNotional: parseDecimal('10000'),
  maxPositionNotional: parseDecimal('50000'),
  maxOpenOrders: 50,
  maxOrdersPerSecond: 20,
  dailyLossLimit: parseDecimal('1000'),
  priceBandPercent: parseDecimal('10'),
};

const LimitsSchema = object({
  maxOrderNotional: optional(decimalText(1n)),
  maxPositionNotional: optional(decimalText(1n)),
  maxOpenOrders: optional(integer(1, 100_000)),
  maxOrdersPerSecond: optional(integer(1, 100_000)),
  dailyLossLimit: optional(decimalText(0n)),
  priceBandPercent: optional(decimalText(1n)),
});

type PartialLimits = Infer<typeof LimitsSchema>;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const SettingsSchema = object({
  limits: optional(LimitsSchema),
  accounts: optional(record(NAME, LimitsSchema, 1000)),
  strategies: optional(record(NAME, LimitsSchema, 1000)),
});

export type RiskSettings = Infer<typeof SettingsSchema>;

export function riskSettingsPath(home: string): string {
  return join(home, 'system', 'etc', 'kungfu', 'risk.json');
}

/** Parses a settings text; throws a one-line Error naming the field. */
export function parseRiskSettings(text: string, what: string): RiskSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what} is not JSON (${(err as Error).message})`);
  }
  try {
    return SettingsSchema.parse(raw);
  } catch (err) {
    if (err instanceof SchemaError) throw new Error(`${what}: ${err.message}`);
    throw err;
  }
}

/** The limits in force, re-read from the file when its modification time changes. */
export class RiskSettingsFile {
  private settings: RiskSettings = {};
  private mtime = -1;
  readonly path: string;

  constructor(
    home: string,
    private readonly onProblem: (message: string) => void,
    private readonly onLoaded: (message: string) => void = () => {},
  ) {
    this.path = riskSettingsPath(home);
  }

  /** Re-reads the file if it changed (cheap: one stat). Returns true if new settings took effect. */
  refresh(): boolean {
    let mtime: number;
    try {
      mtime = statSync(this.path).mtimeMs;
    } catch {
      mtime = 0; // no file: the defaults
    }
    if (mtime === this.mtime) return false;
    this.mtime = mtime;
    if (mtime === 0) {
      const had = Object.keys(this.settings).length > 0;
      this.settings = {};
      if (had) this.onLoaded(`risk settings ${this.path} removed: default limits in force`);
      return had;
    }
    try {
      this.settings = parseRiskSettings(readFileSync(this.path, 'utf8'), `risk settings ${this.path}`);
      this.onLoaded(`risk settings loaded from ${this.path}`);
      return true;
    } catch (err) {
      this.onProblem(`${(err as Error).message}; the previous limits stay in force`);
      return false;
    }
  }

  /** The limits for strategy `strategy` trading on `accountId` ("binance_my_account"). */
  limitsFor(strategy: string, accountId: string): Limits {
    return resolveLimits(this.settings, strategy, accountId);
  }
}

export function resolveLimits(settings: RiskSettings, strategy: string, accountId: string): Limits {
  const layers: (PartialLimits | undefined)[] = [settings.strategies?.[strategy], settings.accounts?.[accountId], settings.limits];
  const pick = <K extends keyof Limits>(key: K): Limits[K] => {
    for (const layer of layers) {
      const v = layer?.[key];
      if (v !== undefined) return v as Limits[K];
    }
    return DEFAULT_LIMITS[key];
  };
  return {
    maxOrderNotional: pick('maxOrderNotional'),
    maxPositionNotional: pick('maxPositionNotional'),
    maxOpenOrders: pick('maxOpenOrders'),
    maxOrdersPerSecond: pick('maxOrdersPerSecond'),
    dailyLossLimit: pick('dailyLossLimit'),
    priceBandPercent: pick('priceBandPercent'),
  };
}
