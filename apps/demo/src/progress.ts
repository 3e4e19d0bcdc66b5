/**
 * Progress bars (cli-progress on a TTY; a line every 10% otherwise, so logs stay readable)
 * with rate and ETA, and Ctrl-C handling: the first Ctrl-C asks the running loop to stop after
 * its current step (it then saves a checkpoint), the second quits at once.
 */
import cliProgress from 'cli-progress';

/** Set by the first Ctrl-C (tests set it too); `onRequest` is told at once (the running fit's AbortController). */
export const interrupt: { requested: boolean; onRequest?: (() => void) | undefined } = { requested: false };
let installed = false;

/** Installs the SIGINT handler once. */
export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => {
    if (interrupt.requested) {
      process.stderr.write('\nwordloom: interrupted again, quitting without saving\n');
      process.exit(130);
    }
    interrupt.requested = true;
    interrupt.onRequest?.();
    process.stderr.write(
      '\nwordloom: stopping after this step (or evaluation batch) and saving a checkpoint (Ctrl-C again to quit now)\n',
    );
  });
}

export interface Progress {
  update(value: number, metrics?: Record<string, string | number>): void;
  stop(): void;
}

function fmtMetrics(m: Record<string, string | number> | undefined): string {
  if (!m) return '';
  return Object.entries(m)
    .map(
      ([k, v]) =>
        `${k} ${typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(4)) : v}`,
    )
    .join(' · ');
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/**
 * A progress bar over `total` units named `unit` (e.g. steps), or with `unit: '%'` over a fraction
 * shown as a percentage (`total` is then only the bar's resolution). Silent when `quiet`.
 */
export function progress(
  label: string,
  total: number,
  opts: { unit?: string; quiet?: boolean; start?: number } = {},
): Progress {
  const unit = opts.unit ?? 'step';
  const percent = unit === '%';
  const start = Date.now();
  const startValue = opts.start ?? 0;
  if (opts.quiet) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: percent
          ? `${label} |{bar}| {percentage}% · ETA {eta_formatted} · {metrics}`
          : `${label} |{bar}| {value}/{total} ${unit}s · {rate} ${unit}/s · ETA {eta_formatted} · {metrics}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, startValue, { rate: '0', metrics: '' });
    return {
      update(value, metrics) {
        const sec = (Date.now() - start) / 1000;
        bar.update(value, {
          rate: sec > 0 ? ((value - startValue) / sec).toFixed(1) : '0',
          metrics: fmtMetrics(metrics),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let nextPct = 10;
  return {
    update(value, metrics) {
      const pct = (100 * value) / total;
      if (pct + 1e-9 < nextPct && value !== total) return;
      while (nextPct <= pct) nextPct += 10;
      const sec = (Date.now() - start) / 1000;
      const rate = (value - startValue) / Math.max(sec, 1e-9);
      const eta = (total - value) / rate;
      const done = percent
        ? `${pct.toFixed(0)}%`
        : `${value}/${total} ${unit}s (${pct.toFixed(0)}%) · ${rate.toFixed(1)} ${unit}/s`;
      process.stderr.write(`${label} ${done} · ETA ${fmtTime(eta)}${metrics ? ' · ' + fmtMetrics(metrics) : ''}\n`);
    },
    stop() {},
  };
}
