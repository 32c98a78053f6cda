import { renderChart, type ChartBar, type ChartPanel } from './bench-chart';

const bar = (name: string, median: number, spread = 0.1): ChartBar => ({
  name,
  median,
  min: median * (1 - spread),
  max: median * (1 + spread),
});

const panel = (bars: ChartBar[], title = 'S1 sold-out storm'): ChartPanel => ({
  title,
  unit: 'req/s',
  better: 'higher',
  bars,
});

/** The attributes of every <rect class="bar">, in document order. */
const barsOf = (svg: string) =>
  [...svg.matchAll(/<rect class="bar"([^>]*)\/>/g)].map((match) => ({
    height: Number(/ height="([^"]+)"/.exec(match[1])?.[1]),
    fill: /fill="([^"]+)"/.exec(match[1])?.[1],
  }));

describe('the benchmark chart', () => {
  it('given two panels, when rendered, then it is one standalone SVG with width, height and viewBox', () => {
    const svg = renderChart('Boxoffice vs baseline', '5 runs each', [
      panel([bar('Boxoffice', 1000)]),
      panel([bar('Boxoffice', 20)]),
    ]);
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)" viewBox="0 0 \1 \2"/,
    );
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg/g)).toHaveLength(1);
    expect(svg).toContain('font-family="sans-serif"');
    expect(svg).toContain('higher is better');
  });

  it('given three panels of two bars, when rendered, then there is one bar per system per panel, coloured by position', () => {
    const bars = [bar('Boxoffice', 10), bar('baseline', 8), bar('third', 5)];
    const svg = renderChart('t', 's', [panel(bars.slice(0, 2)), panel(bars.slice(0, 2)), panel(bars)]);
    const rendered = barsOf(svg);
    expect(rendered).toHaveLength(7);
    expect(rendered.slice(0, 2).map((rect) => rect.fill)).toEqual(['#2b6cb0', '#a0aec0']);
    expect(rendered[2].fill).toBe(rendered[0].fill);
  });

  it('given medians of 1000 and 500, when rendered, then the first bar is twice as tall as the second', () => {
    const [first, second] = barsOf(renderChart('t', 's', [panel([bar('a', 1000), bar('b', 500)])]));
    expect(first.height / second.height).toBeCloseTo(2, 1);
    expect(Math.abs(first.height / second.height - 2)).toBeLessThan(0.02);
  });

  it('given medians of 1234 and 42.5, when rendered, then they are printed as "1,234" and "42.5"', () => {
    const svg = renderChart('t', 's', [panel([bar('a', 1234.4), bar('b', 42.5)])]);
    expect(svg).toContain('>1,234<');
    expect(svg).toContain('>42.5<');
  });

  it('given a largest max of 1300, when rendered, then the axis tops out at a round 2,000', () => {
    const svg = renderChart('t', 's', [panel([bar('a', 1000, 0.3)])]);
    expect(svg).toContain('>2,000 req/s<');
  });

  it('given a title with "<&>", when rendered, then the text is escaped', () => {
    const svg = renderChart('a <&> "b"', 's', [panel([bar('x<y', 1)], 'p & q')]);
    expect(svg).toContain('a &lt;&amp;&gt; &quot;b&quot;');
    expect(svg).toContain('x&lt;y');
    expect(svg).toContain('p &amp; q');
    expect(svg).not.toMatch(/<&>|x<y/);
  });

  it('given an empty panel and an all-zero panel, when rendered, then both render without NaN', () => {
    const svg = renderChart('t', 's', [panel([]), panel([bar('a', 0), bar('b', 0)]), panel([bar('c', NaN)])]);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(barsOf(svg).map((rect) => rect.height)).toEqual([0, 0, 0]);
    expect(renderChart('t', 's', [])).not.toMatch(/NaN|Infinity/);
  });

  it('given the same input twice, when rendered, then the output is the same string', () => {
    const panels = [panel([bar('Boxoffice', 1234.567), bar('baseline', 98.765)])];
    expect(renderChart('t', 's', panels)).toBe(renderChart('t', 's', structuredClone(panels)));
  });

  it('given awkward values, when rendered, then every number in an attribute has at most one decimal', () => {
    const svg = renderChart('t', 's', [panel([bar('a', 1 / 3), bar('b', 2 / 7), bar('c', 0.123)])]);
    const numbers = [...svg.matchAll(/="([-\d.]+)"/g), ...svg.matchAll(/[MVH](-?[\d.]+)/g)].map((m) => m[1]);
    expect(numbers.length).toBeGreaterThan(10);
    for (const number of numbers) expect(number).toMatch(/^-?\d+(\.\d)?$/);
  });
});
