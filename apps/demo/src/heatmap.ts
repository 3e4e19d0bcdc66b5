/**
 * Attention heatmaps: an SVG written by hand (rows = output tokens, columns = source tokens,
 * darker = more weight) and the same matrix printed in the terminal with shaded blocks.
 */

export interface Heatmap {
  /** weights[i][j]: output step i attending to source position j (rows sum to 1). */
  weights: ArrayLike<number>[];
  rowLabels: string[];
  colLabels: string[];
  title?: string;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const show = (s: string): string => (s === ' ' ? '␣' : s);

/** An SVG image of the heatmap (grey scale, white = 0, black = max of the matrix). */
export function heatmapSvg(h: Heatmap): string {
  const cell = 18;
  const left = 70;
  const top = 60;
  const rows = h.weights.length;
  const cols = h.colLabels.length;
  // Wide enough for the title too (monospace 12 px ≈ 7.3 px a character).
  const width = Math.max(left + cols * cell + 20, Math.ceil((h.title?.length ?? 0) * 7.3) + 12);
  const height = top + rows * cell + 20;
  let max = 0;
  for (const r of h.weights) for (let j = 0; j < cols; j++) max = Math.max(max, r[j]);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  if (h.title) parts.push(`<text x="4" y="14">${esc(h.title)}</text>`);
  for (let j = 0; j < cols; j++) {
    const x = left + j * cell + cell / 2;
    parts.push(
      `<text x="${x}" y="${top - 6}" text-anchor="start" transform="rotate(-60 ${x} ${top - 6})">${esc(show(h.colLabels[j]))}</text>`,
    );
  }
  for (let i = 0; i < rows; i++) {
    const y = top + i * cell;
    parts.push(`<text x="${left - 6}" y="${y + cell - 5}" text-anchor="end">${esc(show(h.rowLabels[i]))}</text>`);
    for (let j = 0; j < cols; j++) {
      const w = max > 0 ? h.weights[i][j] / max : 0;
      const g = Math.round(255 * (1 - w));
      parts.push(
        `<rect x="${left + j * cell}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${g},${g},${g})"><title>${h.weights[i][j].toFixed(3)}</title></rect>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

const SHADES = [' ', '░', '▒', '▓', '█'];

/** The heatmap as text: one line per output token, one shaded block per source token. */
export function heatmapText(h: Heatmap): string {
  const cols = h.colLabels.length;
  let max = 0;
  for (const r of h.weights) for (let j = 0; j < cols; j++) max = Math.max(max, r[j]);
  const lines: string[] = [];
  if (h.title) lines.push(h.title);
  lines.push(`     ${h.colLabels.map(show).join('')}`);
  for (let i = 0; i < h.weights.length; i++) {
    let line = `${show(h.rowLabels[i]).padStart(4)} `;
    for (let j = 0; j < cols; j++) {
      const w = max > 0 ? h.weights[i][j] / max : 0;
      line += SHADES[Math.min(SHADES.length - 1, Math.round(w * (SHADES.length - 1)))];
    }
    lines.push(line);
  }
  return lines.join('\n');
}
