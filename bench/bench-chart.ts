/** One measured figure of one system: the median of its runs and their spread. */
export interface ChartBar {
  name: string; // e.g. 'Boxoffice', 'baseline'
  median: number;
  min: number;
  max: number;
}

/** One panel: a scenario's figure for each system, on its own scale. */
export interface ChartPanel {
  title: string; // e.g. 'S1 sold-out storm'
  unit: string; // e.g. 'req/s' or 'ms'
  /** 'higher' when more is better (throughput), 'lower' when less is (latency); said under the title. */
  better: 'higher' | 'lower';
  bars: ChartBar[];
}

const PANEL_WIDTH = 260;
const PANEL_HEIGHT = 320;
const HEADER_HEIGHT = 56;
// Room above the plot for the panel title, the "better" line and the tallest bar's median label.
const PLOT_TOP = 84;
const PLOT_BOTTOM = 290;
const PLOT_SIDE = 24;
// Same position, same colour, in every panel: the reader matches systems across panels by colour.
const COLOURS = ['#2b6cb0', '#a0aec0', '#dd6b20', '#38a169', '#805ad5'];

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** At most one decimal, so the same input always prints the same attributes. */
const px = (n: number) => String(Math.round(n * 10) / 10);

/** Measurements are never negative; a NaN or Infinity from a failed run must not reach the SVG. */
const clean = (n: number) => (Number.isFinite(n) && n > 0 ? n : 0);

const formatValue = (value: number): string =>
  value >= 100 ? String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : value.toFixed(1);

/** The smallest 1, 2, 2.5 or 5 x 10^k at or above the value, so the axis top reads as a round number. */
function niceMax(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((step) => step * power).find((top) => top >= value) ?? 10 * power;
}

const text = (x: number, y: number, content: string, attributes = '') =>
  `<text x="${px(x)}" y="${px(y)}" text-anchor="middle"${attributes}>${escape(content)}</text>`;

function renderPanel(panel: ChartPanel, left: number): string[] {
  const bars = panel.bars.map((bar) => ({
    name: bar.name,
    median: clean(bar.median),
    min: clean(bar.min),
    max: clean(bar.max),
  }));
  const top = niceMax(Math.max(0, ...bars.map((bar) => Math.max(bar.median, bar.max))));
  const plotHeight = PLOT_BOTTOM - PLOT_TOP;
  const y = (value: number) => HEADER_HEIGHT + PLOT_BOTTOM - (value / top) * plotHeight;
  const centre = left + PANEL_WIDTH / 2;
  const plotLeft = left + PLOT_SIDE;
  const plotRight = left + PANEL_WIDTH - PLOT_SIDE;
  const slot = (plotRight - plotLeft) / Math.max(1, bars.length);
  const barWidth = Math.min(60, slot * 0.6);
  const base = y(0);
  const parts = [
    text(centre, HEADER_HEIGHT + 20, panel.title, ' font-size="14" font-weight="bold"'),
    text(centre, HEADER_HEIGHT + 38, `${panel.better} is better`, ' font-size="11" fill="#4a5568"'),
    `<line x1="${px(plotLeft)}" y1="${px(y(top))}" x2="${px(plotRight)}" y2="${px(y(top))}" stroke="#e2e8f0"/>`,
    `<text x="${px(plotLeft)}" y="${px(y(top) - 4)}" font-size="10" fill="#718096">` +
      `${escape(`${formatValue(top)} ${panel.unit}`)}</text>`,
  ];
  bars.forEach((bar, index) => {
    const x = plotLeft + slot * (index + 0.5);
    const height = base - y(bar.median);
    const colour = COLOURS[index % COLOURS.length];
    const [whiskerTop, whiskerBottom] = [y(Math.max(bar.min, bar.max)), y(Math.min(bar.min, bar.max))];
    parts.push(
      `<rect class="bar" x="${px(x - barWidth / 2)}" y="${px(base - height)}" width="${px(barWidth)}" ` +
        `height="${px(height)}" fill="${colour}"/>`,
      `<path d="M${px(x)} ${px(whiskerTop)}V${px(whiskerBottom)}M${px(x - 6)} ${px(whiskerTop)}H${px(x + 6)}` +
        `M${px(x - 6)} ${px(whiskerBottom)}H${px(x + 6)}" stroke="#1a202c" stroke-width="1.5" fill="none"/>`,
      text(x, Math.min(whiskerTop, base - height) - 6, formatValue(bar.median), ' font-size="12"'),
      text(x, base + 16, bar.name, ' font-size="12"'),
    );
  });
  if (bars.length === 0)
    parts.push(text(centre, base - plotHeight / 2, 'no data', ' font-size="12" fill="#718096"'));
  parts.push(
    `<line x1="${px(plotLeft)}" y1="${px(base)}" x2="${px(plotRight)}" y2="${px(base)}" stroke="#1a202c"/>`,
  );
  return parts;
}

/** The benchmark's chart: one panel per scenario, side by side, as a standalone SVG document. */
export function renderChart(title: string, subtitle: string, panels: ChartPanel[]): string {
  const width = PANEL_WIDTH * Math.max(1, panels.length);
  const height = HEADER_HEIGHT + PANEL_HEIGHT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    // Opaque, so the chart stays readable when shown on a dark page.
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 24, title, ' font-size="16" font-weight="bold"'),
    text(width / 2, 44, subtitle, ' font-size="12" fill="#4a5568"'),
    ...panels.flatMap((panel, index) => renderPanel(panel, index * PANEL_WIDTH)),
    '</svg>',
    '',
  ].join('\n');
}
