/**
 * The web demo's "Train here" page in Chromium (playwright-core): the app built with its own
 * vite.config.ts and served by `vite preview` (whose config sends the COOP/COEP headers, so the page is
 * cross-origin isolated) trains on 2 Web Worker replicas with progress, and a reload mid-run continues
 * from the IndexedDB checkpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildTestSite, launchChromium, type TestSite } from './page-test-site.js';

let browser: Browser;
let site: TestSite;
let url = '';
const errors: string[] = [];

async function open(): Promise<Page> {
  // Two cores reported, whatever the machine: the page runs min(4, hardwareConcurrency) replicas.
  const page = await browser.newPage();
  await page.addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => 2 }));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${url}#train`);
  await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 60_000 });
  return page;
}

describe('web demo: Train here (Web Worker replicas, IndexedDB checkpoints)', () => {
  beforeAll(async () => {
    site = await buildTestSite('train');
    url = site.url;
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('trains on 2 replicas to a good held-out accuracy; a reload mid-run continues from IndexedDB', async () => {
    let page = await open();
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    await page.click('#train-reset');
    await page.waitForFunction(() => document.getElementById('train-status')!.textContent!.startsWith('Forgotten'));
    await page.click('#train-start');
    // Past the checkpoint at step 40, then a reload (the run in the page is gone with it).
    await page.waitForFunction(() => Number(document.getElementById('train-status')!.dataset.step ?? 0) >= 45, null, {
      timeout: 120_000,
    });
    expect(await page.textContent('#train-status')).toMatch(/· 2 replicas/);
    await page.reload();
    await page.waitForSelector('#train-status[data-state="idle"]', { timeout: 60_000 });
    const saved = await page.textContent('#train-status');
    expect(saved).toMatch(/A saved run is at step (\d+)/);
    const savedStep = Number(/step (\d+)/.exec(saved!)![1]);
    expect(savedStep).toBeGreaterThanOrEqual(40);
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-state="done"]', { timeout: 240_000 });
    const done = await page.$eval('#train-status', (e): Record<string, string | null | undefined> => ({
      ...(e as HTMLElement).dataset,
      text: e.textContent,
    }));
    expect(Number(done.resumedFrom)).toBe(savedStep);
    expect(done.text).toMatch(/^done: 300 steps on 2 replicas \(resumed from step \d+\); held-out accuracy/);
    expect(Number(done.accuracy)).toBeGreaterThan(0.9);
    await page.close();
    page = undefined as never;
    expect(errors).toEqual([]);
  }, 420_000);
});
