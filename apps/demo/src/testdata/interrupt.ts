/**
 * Test helper: runs `fn` with stderr in line mode (not a TTY) and sends the process a Ctrl-C
 * (`process.emit('SIGINT')`, what the terminal does) when stderr first shows `trigger` — e.g. the
 * progress line of a step. Restores stderr and the interrupt flag afterwards.
 */
import { vi } from 'vitest';
import { interrupt } from '../progress.js';

export async function withCtrlCAt<T>(trigger: RegExp, fn: () => Promise<T>): Promise<{ result: T; fired: boolean }> {
  const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  let fired = false;
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    if (!fired && trigger.test(String(s))) {
      fired = true;
      process.emit('SIGINT');
    }
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { result: await fn(), fired };
  } finally {
    interrupt.requested = false;
    err.mockRestore();
    out.mockRestore();
    if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
    else delete (process.stderr as { isTTY?: boolean }).isTTY;
  }
}
