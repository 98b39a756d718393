/**
 * bench:md's strategy: registers like every process and subscribes to the BTCUSDT book (20
 * levels) of the `binance` MD gateway; prints "ready"; runs until SIGTERM.
 */
import { Locations } from '../../src/journal/location.js';
import { JournalWriter } from '../../src/journal/writer.js';
import { MarketData } from '../../src/model/enums.js';
import { MsgType, Subscribe } from '../../src/model/events.js';
import { runService } from '../../src/runtime/service.js';
import { createLogger } from '../../src/util/log.js';

const home = process.env.KF_HOME!;
const log = createLogger({ name: 'bench-subscriber', level: 'warning', fd: 2 });
const code = await runService(
  { home, location: Locations.strategy('bench_md'), log, master: { host: '127.0.0.1', port: Number(process.env.KF_MASTER_PORT) }, wait: 'block' },
  {
    start(ctx) {
      const toMd = JournalWriter.open({ home, location: ctx.location, dest: Locations.md('binance').uid, log });
      const s = Subscribe.empty();
      s.source = 'binance';
      s.symbol = 'BTCUSDT';
      s.data = MarketData.Depth;
      s.depth_levels = 20;
      toMd.write(MsgType.Subscribe, Subscribe, s);
      toMd.close();
      process.stdout.write('ready\n');
    },
  },
);
process.exit(code);
