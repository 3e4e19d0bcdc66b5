/**
 * Training curves: the loss (and held-out exact match) the CLI recorded while training the
 * models this page ships, read from each run's metrics.json.
 */
import { h, notice, type App } from '../app.js';
import { lines } from '../svg.js';

interface HistoryPoint {
  step: number;
  loss: number;
  exactMatch?: number;
}

const RUNS: Array<[string, string]> = [
  ['models/date-luong/metrics.json', 'date, Luong attention'],
  ['models/date-bahdanau/metrics.json', 'date, Bahdanau attention'],
  ['models/lm/metrics.json', 'character LM'],
  ['models/sentiment/metrics.json', 'NSMC sentiment BiLSTM'],
];

export async function render(root: HTMLElement, app: App): Promise<void> {
  root.append(
    h('h2', {}, 'Training curves'),
    h('p', {}, 'Recorded by the CLI during training (every 50 steps), from each run\u2019s metrics.json.'),
  );
  const series: Array<{ name: string; points: Array<[number, number]> }> = [];
  const summary = h('ul', { id: 'curves-summary' });
  for (const [path, name] of RUNS) {
    try {
      const m = (await (await app.fetchAsset(path)).json()) as {
        history?: HistoryPoint[];
        exactMatch?: number;
        valLoss?: number;
        accuracy?: number;
        testExamples?: number;
        steps?: number;
      };
      const hist = (m.history ?? []).filter((p) => Number.isFinite(p.loss));
      if (hist.length === 0) throw new Error(`${path} has no loss history`);
      series.push({ name, points: hist.map((p) => [p.step, p.loss]) });
      const extra =
        m.exactMatch !== undefined
          ? `, held-out exact match ${(100 * m.exactMatch).toFixed(2)}%`
          : m.accuracy !== undefined && m.testExamples !== undefined
            ? `, test accuracy ${(100 * m.accuracy).toFixed(2)}% on ${m.testExamples.toLocaleString('en-US')} reviews`
            : m.valLoss !== undefined
              ? `, validation loss ${m.valLoss.toFixed(3)}`
              : '';
      summary.append(
        h('li', {}, `${name}: ${hist.length} points, final loss ${hist[hist.length - 1].loss.toFixed(4)}${extra}`),
      );
    } catch (e) {
      root.append(notice((e as Error).message));
    }
  }
  if (series.length === 0) {
    root.append(notice('No metrics.json from a CLI run is shipped with this build.', 'error'));
    return;
  }
  // A log y axis by default: the date models' loss falls by three orders of magnitude, which a
  // linear axis flattens into the x axis.
  const logBox = h('input', { id: 'curves-log', type: 'checkbox', checked: '' });
  const plot = h('div', { id: 'curves-plot' });
  const draw = () =>
    plot.replaceChildren(lines(series, { xLabel: 'step', yLabel: 'training loss', log: logBox.checked }));
  logBox.addEventListener('change', draw);
  root.append(h('div', { class: 'row' }, h('label', {}, logBox, ' log scale (y)')), plot, summary);
  draw();
}
