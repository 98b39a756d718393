/**
 * The soak run's chart: memory per process and order latency per minute, drawn by Vega-Lite (to
 * SVG, headless) and rasterized by resvg (no browser, no native canvas).
 */
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartPoint {
  minute: number;
  /** What each process retains after a full GC: anonymous RSS less V8's free heap. */
  retainedMb: Record<string, number>;
  /** V8's used heap per process after a full GC. */
  heapMb: Record<string, number>;
  t2oP50: number;
  t2oP99: number;
  hopP99: number;
}

/** One line chart of `values` over the minutes: `y` against minute, a line per `series`. */
function lineChart(title: string, values: object[], y: string, yTitle: string, series: string) {
  return {
    title,
    width: 640,
    height: 220,
    data: { values },
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'minute', type: 'quantitative' as const, title: 'minute' },
      y: { field: y, type: 'quantitative' as const, title: yTitle, scale: { zero: true } },
      color: { field: series, type: 'nominal' as const },
    },
  };
}

export async function renderChart(points: ChartPoint[]): Promise<Buffer> {
  const perProcess = (of: (p: ChartPoint) => Record<string, number>) => points.flatMap((p) => Object.entries(of(p)).map(([process, mb]) => ({ minute: p.minute, process, mb }))).filter((x) => Number.isFinite(x.mb));
  const latency = points.flatMap((p) => [
    { minute: p.minute, series: 'tick to order p50', us: p.t2oP50 },
    { minute: p.minute, series: 'tick to order p99', us: p.t2oP99 },
    { minute: p.minute, series: 'ledger hop p99', us: p.hopP99 },
  ]).filter((x) => Number.isFinite(x.us));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    padding: 16,
    resolve: { scale: { color: 'independent' } },
    vconcat: [
      lineChart('Retained per process after a full GC (MB: anonymous RSS less V8\'s free heap)', perProcess((p) => p.retainedMb), 'mb', 'MB', 'process'),
      lineChart('V8 heap used per process after a full GC (MB)', perProcess((p) => p.heapMb), 'mb', 'MB', 'process'),
      lineChart('Order latency (us)', latency, 'us', 'us', 'series'),
    ],
  };
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return Buffer.from(new Resvg(svg, { fitTo: { mode: 'zoom', value: 1.5 }, font: { loadSystemFonts: true } }).render().asPng());
}
