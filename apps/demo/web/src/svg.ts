/**
 * Small SVG drawings for the pages: a labelled scatter, a heatmap with its colour legend, line
 * charts (linear or log y), and diverging token attributions with their legend.
 */

const NS = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface Point {
  x: number;
  y: number;
  label: string;
  highlight?: boolean;
}

/** A labelled 2-D scatter scaled to fit `width`×`height`. */
export function scatter(points: Point[], width = 640, height = 420): SVGSVGElement {
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'word vectors projected to 2-D',
  }) as SVGSVGElement;
  svg.append(el('rect', { x: 0, y: 0, width, height, fill: '#fff', stroke: '#ddd' }));
  if (points.length === 0) return svg;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = 40;
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const sy = (y: number) => height - pad - ((y - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
  for (const p of points) {
    const g = el('g', { class: p.highlight ? 'point answer' : 'point' });
    g.append(
      el('circle', { cx: sx(p.x), cy: sy(p.y), r: p.highlight ? 6 : 4, fill: p.highlight ? '#c62828' : '#1565c0' }),
    );
    g.append(
      el(
        'text',
        {
          x: sx(p.x) + 7,
          y: sy(p.y) + 4,
          'font-size': 12,
          fill: p.highlight ? '#c62828' : '#222',
          'font-weight': p.highlight ? 700 : 400,
        },
        p.label,
      ),
    );
    svg.append(g);
  }
  return svg;
}

/** The heatmap's colour for a weight in [0, 1]: white → blue. */
export function sequentialColor(w: number): string {
  const shade = Math.round(255 * (1 - Math.max(0, Math.min(1, w))));
  return `rgb(${shade},${shade},255)`;
}

/**
 * Approximate width in px of `text` at `size` px (system-ui): Hangul, kana and CJK ideographs
 * are about one em wide, other characters about 0.62 em. Enough to keep labels inside the frame.
 */
function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) em += ch.codePointAt(0)! >= 0x1100 ? 1 : 0.62;
  return em * size;
}

let gradientIds = 0;

/**
 * A vertical colour bar from `from` (bottom) to `to` (top), `height` px tall, with tick labels:
 * appended to `svg` at (x, y). Returns the width it takes.
 */
function colorBar(
  svg: SVGElement,
  x: number,
  y: number,
  height: number,
  stops: Array<[number, string]>,
  ticks: Array<[number, string]>,
  title: string,
): number {
  const id = `wl-grad-${++gradientIds}`;
  const defs = el('defs', {});
  const grad = el('linearGradient', { id, x1: 0, y1: 1, x2: 0, y2: 0 });
  for (const [offset, color] of stops) grad.append(el('stop', { offset, 'stop-color': color }));
  defs.append(grad);
  const g = el('g', { class: 'legend', 'aria-label': title });
  g.append(defs);
  g.append(el('text', { x, y: y - 8, 'font-size': 11 }, title));
  g.append(el('rect', { x, y, width: 14, height, fill: `url(#${id})`, stroke: '#888' }));
  for (const [t, label] of ticks) {
    const ty = y + height * (1 - t);
    g.append(el('line', { x1: x + 14, y1: ty, x2: x + 18, y2: ty, stroke: '#888' }));
    g.append(el('text', { x: x + 21, y: ty + 4, 'font-size': 11 }, label));
  }
  svg.append(g);
  return 21 + Math.max(textWidth(title, 11) - 21, ...ticks.map(([, l]) => textWidth(l, 11)));
}

/** A heatmap of `weights[row][col]` in [0, 1] with row and column labels and a colour legend. */
export function heatmap(
  weights: number[][],
  rowLabels: string[],
  colLabels: string[],
  opts: { cell?: number; activeRow?: number } = {},
): SVGSVGElement {
  const cell = opts.cell ?? 30;
  const font = Math.round(cell * 0.5);
  const left = 16 + Math.max(1, ...rowLabels.map((r) => textWidth(r, font)));
  const top = 30;
  const gridW = colLabels.length * cell;
  const gridH = Math.max(rowLabels.length * cell, 120);
  const legendH = Math.min(gridH, 200);
  const width = left + gridW + 24 + 120;
  const height = top + gridH + 10;
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'attention weights',
  }) as SVGSVGElement;
  colLabels.forEach((c, j) =>
    svg.append(
      el(
        'text',
        { x: left + j * cell + cell / 2, y: top - 8, 'font-size': font, 'text-anchor': 'middle' },
        c === ' ' ? '␣' : c,
      ),
    ),
  );
  rowLabels.forEach((r, i) => {
    svg.append(
      el(
        'text',
        {
          x: left - 8,
          y: top + i * cell + cell * 0.7,
          'font-size': font,
          'text-anchor': 'end',
          'font-weight': i === opts.activeRow ? 700 : 400,
        },
        r === ' ' ? '␣' : r,
      ),
    );
    weights[i]?.forEach((w, j) => {
      const rect = el('rect', {
        x: left + j * cell,
        y: top + i * cell,
        width: cell - 1,
        height: cell - 1,
        fill: sequentialColor(w),
        class: 'cell',
      });
      rect.append(el('title', {}, `${rowLabels[i]} ← ${colLabels[j]}: ${w.toFixed(3)}`));
      svg.append(rect);
    });
    if (i === opts.activeRow) {
      svg.append(
        el('rect', {
          x: left - 1,
          y: top + i * cell - 1,
          width: gridW + 1,
          height: cell + 1,
          fill: 'none',
          stroke: '#c62828',
          'stroke-width': 2,
        }),
      );
    }
  });
  colorBar(
    svg,
    left + gridW + 24,
    top + 10,
    legendH - 10,
    [
      [0, sequentialColor(0)],
      [1, sequentialColor(1)],
    ],
    [0, 0.25, 0.5, 0.75, 1].map((t) => [t, t.toFixed(2)]),
    'attention weight',
  );
  return svg;
}

/** 1-2-5 ticks spanning [lo, hi] (about `n` of them) for a linear axis. */
function linearTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten in [lo, hi] (with 2× and 5× when the range spans few decades). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const few = Math.log10(hi / lo) < 2.5;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const k of few ? [1, 2, 5] : [1]) {
      const v = k * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  return out;
}

/** A short label for a tick value: 0.0004, 0.01, 1.5, 2,000. */
function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 1) return String(Number(v.toPrecision(3)));
  return String(Number(v.toPrecision(2)));
}

/**
 * A line chart of several series of (x, y) points; y on a linear or a log scale (log needs
 * y > 0: other points are left out). The left margin fits the widest y label.
 */
export function lines(
  series: Array<{ name: string; points: Array<[number, number]> }>,
  opts: { width?: number; height?: number; xLabel?: string; yLabel?: string; log?: boolean } = {},
): SVGSVGElement {
  const width = opts.width ?? 720;
  const height = opts.height ?? 380;
  const log = opts.log ?? false;
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'training curves',
    'data-scale': log ? 'log' : 'linear',
  }) as SVGSVGElement;
  svg.append(el('rect', { x: 0, y: 0, width, height, fill: '#fff', stroke: '#ddd' }));
  const shown = series.map((s) => ({ ...s, points: s.points.filter((p) => !log || p[1] > 0) }));
  const all = shown.flatMap((s) => s.points);
  if (all.length === 0) return svg;
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  let yTicks: number[];
  if (log) {
    y0 = 10 ** (Math.floor(Math.log10(Math.min(...all.map((p) => p[1]))) * 4) / 4);
    y1 = 10 ** (Math.ceil(Math.log10(y1) * 4) / 4);
    yTicks = logTicks(y0, y1);
  } else {
    yTicks = linearTicks(Math.min(0, y0), y1);
    y0 = Math.min(0, y0);
    y1 = Math.max(y1, yTicks[yTicks.length - 1]);
  }
  const labels = yTicks.map(tickLabel);
  const left = 30 + Math.max(...labels.map((l) => textWidth(l, 11)));
  // The series names sit in the top margin, one per line, clear of the curves.
  const [right, top, bottom] = [16, 44 + 14 * series.length, 44];
  const fy = log ? (y: number) => Math.log10(y) : (y: number) => y;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * (width - left - right);
  const sy = (y: number) => height - bottom - ((fy(y) - fy(y0)) / (fy(y1) - fy(y0) || 1)) * (height - top - bottom);
  const axes = el('g', { class: 'axes' });
  axes.append(el('line', { x1: left, y1: height - bottom, x2: width - right, y2: height - bottom, stroke: '#888' }));
  axes.append(el('line', { x1: left, y1: top, x2: left, y2: height - bottom, stroke: '#888' }));
  yTicks.forEach((v, i) => {
    axes.append(el('line', { x1: left, y1: sy(v), x2: width - right, y2: sy(v), stroke: '#eee' }));
    axes.append(
      el('text', { x: left - 6, y: sy(v) + 4, 'font-size': 11, 'text-anchor': 'end', class: 'ytick' }, labels[i]),
    );
  });
  for (const v of linearTicks(x0, x1, 6))
    axes.append(
      el('text', { x: sx(v), y: height - bottom + 16, 'font-size': 11, 'text-anchor': 'middle' }, tickLabel(v)),
    );
  axes.append(
    el(
      'text',
      { x: (left + width - right) / 2, y: height - 8, 'font-size': 12, 'text-anchor': 'middle' },
      opts.xLabel ?? 'step',
    ),
  );
  axes.append(
    el('text', { x: 8, y: top - 16, 'font-size': 12 }, `${opts.yLabel ?? 'loss'}${log ? ' (log scale)' : ''}`),
  );
  svg.append(axes);
  const palette = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00'];
  shown.forEach((s, k) => {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    const color = palette[k % palette.length];
    svg.append(el('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, class: 'series', 'data-name': s.name }));
    svg.append(
      el('text', { x: width - right - 4, y: 20 + 14 * k, 'font-size': 12, 'text-anchor': 'end', fill: color }, s.name),
    );
  });
  return svg;
}

/** A diverging colour for v in [−1, 1]: red (negative) → white → green (positive). */
export function divergingColor(v: number): string {
  const t = Math.max(-1, Math.min(1, v));
  const [r, g, b] = t >= 0 ? [46, 125, 50] : [198, 40, 40];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a * 0.85);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/** A horizontal colour legend for attributions in [−scale, scale]. */
export function divergingLegend(scale: number, title: string): SVGSVGElement {
  const caption = `← toward negative · ${title} · toward positive →`;
  const width = Math.max(360, Math.ceil(textWidth(caption, 11)) + 40);
  const svg = el('svg', {
    width,
    height: 50,
    viewBox: `0 0 ${width} 50`,
    role: 'img',
    'aria-label': `${title} colour scale`,
  }) as SVGSVGElement;
  const id = `wl-grad-${++gradientIds}`;
  const grad = el('linearGradient', { id, x1: 0, y1: 0, x2: 1, y2: 0 });
  for (const t of [-1, -0.5, 0, 0.5, 1])
    grad.append(el('stop', { offset: (t + 1) / 2, 'stop-color': divergingColor(t) }));
  const defs = el('defs', {});
  defs.append(grad);
  const g = el('g', { class: 'legend' });
  g.append(defs);
  g.append(el('rect', { x: 20, y: 4, width: width - 40, height: 12, fill: `url(#${id})`, stroke: '#888' }));
  for (const t of [-1, 0, 1]) {
    const x = 20 + ((t + 1) / 2) * (width - 40);
    g.append(el('line', { x1: x, y1: 16, x2: x, y2: 20, stroke: '#888' }));
    g.append(
      el('text', { x, y: 31, 'font-size': 11, 'text-anchor': 'middle' }, t === 0 ? '0' : (t * scale).toFixed(2)),
    );
  }
  g.append(el('text', { x: 20, y: 44, 'font-size': 11 }, caption));
  svg.append(g);
  return svg;
}

/** One horizontal bar per token: attribution values (any sign) with their token labels. */
export function attributionBars(values: ArrayLike<number>, labels: string[]): SVGSVGElement {
  const n = values.length;
  const row = 22;
  const font = 13;
  const left = 12 + Math.max(20, ...labels.map((l) => textWidth(l, font)));
  const half = 200;
  const width = left + 2 * half + 100;
  const height = n * row + 10;
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'attribution per token',
  }) as SVGSVGElement;
  const scale = Math.max(1e-6, ...Array.from(values, Math.abs));
  const mid = left + 46 + half;
  svg.append(el('line', { x1: mid, y1: 0, x2: mid, y2: height, stroke: '#888' }));
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const w = (Math.abs(v) / scale) * half;
    const y = 5 + i * row;
    svg.append(el('text', { x: left - 8, y: y + row * 0.65, 'font-size': font, 'text-anchor': 'end' }, labels[i]));
    const rect = el('rect', {
      x: v >= 0 ? mid : mid - w,
      y: y + 3,
      width: Math.max(w, 0.5),
      height: row - 6,
      fill: divergingColor(v >= 0 ? 1 : -1),
      class: 'attr',
    });
    rect.append(el('title', {}, `${labels[i]}: ${v.toFixed(3)}`));
    svg.append(rect);
    svg.append(
      el(
        'text',
        {
          x: v >= 0 ? mid + w + 4 : mid - w - 4,
          y: y + row * 0.65,
          'font-size': 11,
          'text-anchor': v >= 0 ? 'start' : 'end',
          fill: '#555',
        },
        v.toFixed(2),
      ),
    );
  }
  return svg;
}
