/** Small SVG drawings for the pages: a labelled scatter and a heatmap. */

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

/** A heatmap of `weights[row][col]` in [0, 1] with row and column labels. */
export function heatmap(
  weights: number[][],
  rowLabels: string[],
  colLabels: string[],
  opts: { cell?: number; activeRow?: number } = {},
): SVGSVGElement {
  const cell = opts.cell ?? 22;
  const left = 50;
  const top = 30;
  const width = left + colLabels.length * cell + 10;
  const height = top + rowLabels.length * cell + 10;
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
        { x: left + j * cell + cell / 2, y: top - 8, 'font-size': 12, 'text-anchor': 'middle' },
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
          'font-size': 12,
          'text-anchor': 'end',
          'font-weight': i === opts.activeRow ? 700 : 400,
        },
        r === ' ' ? '␣' : r,
      ),
    );
    weights[i]?.forEach((w, j) => {
      const shade = Math.round(255 * (1 - Math.max(0, Math.min(1, w))));
      const rect = el('rect', {
        x: left + j * cell,
        y: top + i * cell,
        width: cell - 1,
        height: cell - 1,
        fill: `rgb(${shade},${shade},255)`,
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
          width: colLabels.length * cell + 1,
          height: cell + 1,
          fill: 'none',
          stroke: '#c62828',
          'stroke-width': 2,
        }),
      );
    }
  });
  return svg;
}

/** A line chart of several series of (x, y) points. */
export function lines(
  series: Array<{ name: string; points: Array<[number, number]> }>,
  opts: { width?: number; height?: number; xLabel?: string; yLabel?: string } = {},
): SVGSVGElement {
  const width = opts.width ?? 640;
  const height = opts.height ?? 320;
  const pad = 48;
  const svg = el('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'training curves',
  }) as SVGSVGElement;
  svg.append(el('rect', { x: 0, y: 0, width, height, fill: '#fff', stroke: '#ddd' }));
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return svg;
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (width - 2 * pad);
  const sy = (y: number) => height - pad - ((y - y0) / (y1 - y0 || 1)) * (height - 2 * pad);
  svg.append(el('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, stroke: '#888' }));
  svg.append(el('line', { x1: pad, y1: pad, x2: pad, y2: height - pad, stroke: '#888' }));
  svg.append(
    el('text', { x: width / 2, y: height - 12, 'font-size': 12, 'text-anchor': 'middle' }, opts.xLabel ?? 'step'),
  );
  svg.append(el('text', { x: 12, y: pad - 12, 'font-size': 12 }, opts.yLabel ?? 'loss'));
  for (const v of [y0, (y0 + y1) / 2, y1])
    svg.append(el('text', { x: pad - 6, y: sy(v) + 4, 'font-size': 10, 'text-anchor': 'end' }, v.toPrecision(3)));
  for (const v of [x0, x1])
    svg.append(
      el('text', { x: sx(v), y: height - pad + 14, 'font-size': 10, 'text-anchor': 'middle' }, String(Math.round(v))),
    );
  const palette = ['#1565c0', '#c62828', '#2e7d32', '#6a1b9a', '#ef6c00'];
  series.forEach((s, k) => {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    svg.append(
      el('path', { d, fill: 'none', stroke: palette[k % palette.length], 'stroke-width': 2, class: 'series' }),
    );
    svg.append(
      el(
        'text',
        {
          x: width - pad - 4,
          y: pad + 14 * k,
          'font-size': 12,
          'text-anchor': 'end',
          fill: palette[k % palette.length],
        },
        s.name,
      ),
    );
  });
  return svg;
}
