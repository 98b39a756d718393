/** How the simulator writes exact amounts on the wire: Binance's 8-decimal strings ("0.10000000"). */
import { formatFixed, type Decimal } from '../../model/decimal.js';

export const amount = (x: Decimal): string => formatFixed(x, 8);
