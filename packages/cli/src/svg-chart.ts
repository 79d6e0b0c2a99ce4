/**
 * Line charts as standalone SVG text, for the docs' figures: no browser, no dependency. One
 * chart, any number of series (an optional band around each line, e.g. ± one sd over seeds),
 * linear or log-10 y axis, ticks at round values, and a legend.
 */

export interface Series {
  label: string;
  x: readonly number[];
  y: readonly number[];
  /** Half-width of a shaded band around y at each x (e.g. the sd over seeds). */
  band?: readonly number[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** 'log': a log-10 y axis (every y and y ± band must then be positive). */
  yScale?: 'linear' | 'log';
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f'];

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10ᵏ, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function label(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0)
    : String(Number(v.toPrecision(4)));
}

/** The chart as an SVG document. Series with mismatched lengths or no points are errors. */
export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const log = o.yScale === 'log';
  for (const s of series) {
    if (s.x.length === 0 || s.x.length !== s.y.length ||
      (s.band && s.band.length !== s.y.length)) {
      throw new Error(`lineChart: series '${s.label}' needs as many x as y (and band) values, ` +
        `at least one (x ${s.x.length}, y ${s.y.length}, band ${s.band?.length ?? '–'})`);
    }
    const ys = [...s.y, ...(s.band ? s.y.map((y, i) => y - s.band![i]) : [])];
    if (ys.some((y) => !Number.isFinite(y)) || (log && ys.some((y) => y <= 0))) {
      throw new Error(`lineChart: series '${s.label}' has a value a ${log ? 'log' : 'linear'} ` +
        'axis cannot show');
    }
  }
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  const m = { left: 64, right: 16, top: 36, bottom: 48 };
  const t = (y: number) => (log ? Math.log10(y) : y);
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => s.y.flatMap((y, i) => [y - (s.band?.[i] ?? 0),
    y + (s.band?.[i] ?? 0)]).map(t));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const round = (v: number) => Math.round(v * 10) / 10;
  const px = (x: number) => round(m.left + ((x - x0) / (x1 - x0 || 1)) *
    (W - m.left - m.right));
  const py = (y: number) => round(H - m.bottom - ((t(y) - y0) / (y1 - y0)) *
    (H - m.top - m.bottom));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
      `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${escape(o.title)}</text>`,
  ];
  const xTicks = niceTicks(x0, x1);
  // A log axis ticks its decades, or round values when it spans less than two of them.
  const decades = log ? niceTicks(Math.ceil(y0), Math.floor(y1)).filter(Number.isInteger) : [];
  const yTicks = !log ? niceTicks(y0, y1) : decades.length >= 2 ? decades.map((k) => 10 ** k)
    : niceTicks(10 ** y0, 10 ** y1).filter((v) => v > 0);
  for (const x of xTicks) {
    out.push(`<line x1="${px(x)}" y1="${m.top}" x2="${px(x)}" y2="${H - m.bottom}" ` +
      'stroke="#eee"/>', `<text x="${px(x)}" y="${H - m.bottom + 16}" ` +
      `text-anchor="middle">${label(x)}</text>`);
  }
  for (const y of yTicks) {
    out.push(`<line x1="${m.left}" y1="${py(y)}" x2="${W - m.right}" y2="${py(y)}" ` +
      'stroke="#eee"/>', `<text x="${m.left - 6}" y="${py(y) + 4}" ` +
      `text-anchor="end">${label(y)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" ` +
      `height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${escape(o.xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">` +
      `${escape(o.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.x.map((x, i) => `${px(x)},${py(s.y[i])}`);
    if (s.band) {
      const up = s.x.map((x, i) => `${px(x)},${py(s.y[i] + s.band![i])}`);
      const down = s.x.map((x, i) => `${px(x)},${py(s.y[i] - s.band![i])}`).reverse();
      out.push(`<polygon points="${[...up, ...down].join(' ')}" fill="${color}" ` +
        'fill-opacity="0.15" stroke="none"/>');
    }
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" ` +
      'stroke-width="1.5"/>');
    // Markers where there are few points, so that a single point shows.
    if (s.x.length <= 20) {
      s.x.forEach((x, i) => out.push(`<circle cx="${px(x)}" cy="${py(s.y[i])}" r="3" ` +
        `fill="${color}"/>`));
    }
    const ly = m.top + 16 + 16 * k;
    out.push(`<line x1="${W - m.right - 150}" y1="${ly - 4}" x2="${W - m.right - 130}" ` +
      `y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`,
    `<text x="${W - m.right - 124}" y="${ly}">${escape(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
