/** Reporting helpers for the bench harness: medians and the readable table. */

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Throughput and quality metrics are better high; times and memory are better low. */
export function defaultHigherIsBetter(metric) {
  return !['step', 'wall', 'peak_rss', 'val_loss', 'pad_fraction', 'latency', 'infer'].some(
    (m) => metric === m || metric.startsWith(`${m}_`) || metric.endsWith(`_${m}`),
  );
}

function fmt(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** A plain-text table: one row per (benchmark, metric, peer). */
export function formatTable(rows) {
  if (rows.length === 0) return '(no results)';
  const header = ['benchmark', 'metric', 'unit', 'ours', 'peer', 'peer value', 'ratio', 'better', 'runs'];
  const body = rows.map((r) => [
    r.bench,
    r.metric,
    r.unit,
    fmt(r.ours),
    r.peer ?? '—',
    r.note ? `(${r.note})` : fmt(r.peerValue),
    r.ratio === null ? '—' : `${fmt(r.ratio)}×`,
    r.higherIsBetter ? 'higher' : 'lower',
    String(r.runs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
