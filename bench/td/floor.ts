/**
 * bench:td's floor: the least any process can do between an OrderInput in the journal and an order
 * request on the wire, on this machine. It waits for the ledger's frames exactly as the TD does
 * (the same EventLoop and reader: 'loop' is the TD's default mode, 'spin' its -x) and, for each
 * OrderInput, sends one order.place text frame naming the order's client id, over the same
 * WebSocket client the TD uses. Nothing else: no checks, no Pending frame, no signature (the sim
 * refuses the order; the proxy has stamped it by then).
 *
 * So the TD's figure minus this one is the TD's own work, and this one is what no TD can go under
 * here: the journal hop plus one loopback write.
 *
 *     node floor.js '{"home":"...","account":"floor","proxyPort":1234,"mode":"loop"}'
 * prints "ready" once its WebSocket is open.
 */
import { clientOrderIdOf } from '../../src/gateway/binance/common/ids.js';
import { WsClient } from '../../src/gateway/binance/common/ws-client.js';
import { Locations } from '../../src/journal/location.js';
import { EventLoop } from '../../src/journal/loop.js';
import { JournalReader } from '../../src/journal/reader.js';
import { MsgType, OrderInput } from '../../src/model/events.js';

const { home, account, proxyPort, mode } = JSON.parse(process.argv[2]!) as { home: string; account: string; proxyPort: number; mode: 'loop' | 'spin' };

const ws = new WsClient(
  `ws://127.0.0.1:${proxyPort}/ws-api/v3`,
  { maxPayload: 1 << 20, handshakeTimeoutMs: 10_000, zeroMask: true },
  {
    open: () => process.stdout.write('ready\n'),
    message: () => {},
    close: (code, reason, error) => {
      process.stderr.write(`floor: WebSocket closed (${code} ${reason} ${error ?? ''})\n`);
      process.exit(1);
    },
  },
);

const reader = new JournalReader({ home });
reader.join(Locations.ledger(), Locations.td('binance', account).uid);
const loop = new EventLoop({ reader, mode });
// The same fields as the TD's order.place, so that the write is the same size.
loop.onFrame((f) => {
  if (f.msgType !== MsgType.OrderInput) return;
  const id = clientOrderIdOf(f.view.getBigUint64(f.offset + OrderInput.offsets.order_id, true));
  ws.send(
    `{"id":"${id}","method":"order.place","params":{"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","timeInForce":"GTC","price":"1000","quantity":"0.01","newClientOrderId":"${id}","newOrderRespType":"RESULT","apiKey":"kfts-bench-floor-key","timestamp":${Date.now()},"signature":"0000000000000000000000000000000000000000000000000000000000000000"}}`,
  );
});
process.on('SIGTERM', () => loop.stop());
await loop.run();
reader.close();
process.exit(0);
