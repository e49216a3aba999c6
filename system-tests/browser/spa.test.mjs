// Browser test of the gateway's page in headless Debian Chromium (playwright-core drives /usr/bin/chromium; nothing
// is downloaded). Runs against a live suite:
//
//   DSPY_SUITE_URL=http://localhost:8080 DSPY_SUITE_API_KEY=<key> node --test system-tests/browser/spa.test.mjs
//
// Optional: CHROMIUM_PATH (default /usr/bin/chromium), DSPY_SUITE_TASK_TIMEOUT_MS (default 120000: the local
// SmolLM2 answers in well under a minute), DSPY_SUITE_SCREENSHOTS (default system-tests/target/browser).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.DSPY_SUITE_URL ?? '').replace(/\/+$/, '');
const API_KEY = process.env.DSPY_SUITE_API_KEY ?? '';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TASK_TIMEOUT_MS = Number(process.env.DSPY_SUITE_TASK_TIMEOUT_MS ?? 120_000);
const SCREENSHOTS = process.env.DSPY_SUITE_SCREENSHOTS
  ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'target', 'browser');
const FINAL = ['succeeded', 'failed', 'cancelled'];

describe('gateway page in headless Chromium', () => {
  let browser;

  before(async () => {
    assert.ok(BASE_URL, 'set DSPY_SUITE_URL to the gateway, e.g. http://localhost:8080');
    assert.ok(API_KEY, 'set DSPY_SUITE_API_KEY to a tenant API key (the suite prints it)');
    try {
      const health = await fetch(`${BASE_URL}/q/health/ready`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(health.status, 200, `gateway at ${BASE_URL} is not ready (health answered ${health.status})`);
    } catch (e) {
      if (e instanceof assert.AssertionError) {
        throw e;
      }
      throw new Error(`gateway not reachable at ${BASE_URL}: ${e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message ?? e.message}`);
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
  });

  async function openPage() {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(BASE_URL + '/', { waitUntil: 'domcontentloaded' });
    return { page, errors };
  }

  test('a wrong API key shows a clear authentication error', async () => {
    const { page, errors } = await openPage();
    await page.fill('#api-key', 'wrong-key-0123456789abcdef');
    await page.click('#submit');
    const error = page.locator('#task-error');
    await error.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await error.textContent();
    assert.match(text, /API key is not valid|UNAUTHENTICATED/);
    assert.equal(await page.textContent('#task-id'), '—', 'no task was created');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'wrong-key.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('the prefilled task runs live to succeeded with an answer', { timeout: TASK_TIMEOUT_MS + 60_000 }, async () => {
    const { page, errors } = await openPage();
    await page.fill('#api-key', API_KEY);
    await page.click('#submit');

    // Accepted over the WebSocket: the task id appears and the page is connected.
    await page.waitForFunction(() => document.querySelector('#task-id')?.textContent !== '—', null,
      { timeout: 30_000 });
    const taskId = await page.textContent('#task-id');
    assert.match(taskId, /^[0-9a-f-]{36}$/);
    assert.equal(await page.textContent('#connection-status'), 'connected');

    // Live status transitions until a final one.
    await page.waitForFunction((final) => final.includes(document.querySelector('#task-status')?.textContent),
      FINAL, { timeout: TASK_TIMEOUT_MS });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'predict-finished.png'), fullPage: true });
    const status = await page.textContent('#task-status');
    const errorText = await page.locator('#task-error').isVisible() ? await page.textContent('#task-error') : '';
    assert.equal(status, 'succeeded', `task ${taskId} ended ${status}: ${errorText}`);

    const timeline = await page.locator('#task-timeline li').allTextContents();
    assert.ok(timeline.some((s) => s.startsWith('running')), `timeline shows running: ${timeline}`);
    assert.equal(timeline.at(-1), 'succeeded');
    assert.ok(timeline.findIndex((s) => s.startsWith('running')) < timeline.length - 1, 'running came before succeeded');

    // The answer is in the result table.
    const cells = await page.locator('#task-result table td').allTextContents();
    assert.ok(cells.length > 0, 'the result table has a row');
    assert.ok(cells.some((c) => c.trim().length > 0), `a non-empty answer: ${JSON.stringify(cells)}`);

    // The task list (GET /api/v1/tasks) shows the task as succeeded.
    const row = page.locator(`#task-list tr[data-task-id="${taskId}"]`);
    await row.waitFor({ timeout: 15_000 });
    await page.waitForFunction((id) => document.querySelector(`#task-list tr[data-task-id="${id}"] .pill`)
      ?.textContent === 'succeeded', taskId, { timeout: 15_000 });
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
