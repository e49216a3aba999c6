// Browser tests of the gateway's app in headless Debian Chromium (playwright-core drives /usr/bin/chromium; nothing
// is downloaded). Runs against a live suite:
//
//   DSPY_SUITE_URL=http://localhost:8080 DSPY_SUITE_API_KEY=<key> node --test system-tests/browser/spa.test.mjs
//
// Optional: CHROMIUM_PATH (default /usr/bin/chromium), DSPY_SUITE_TASK_TIMEOUT_MS (default 180000: the local
// SmolLM2 answers in well under a minute), DSPY_SUITE_SCREENSHOTS (default system-tests/target/browser-artifacts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.DSPY_SUITE_URL ?? '').replace(/\/+$/, '');
const API_KEY = process.env.DSPY_SUITE_API_KEY ?? '';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TASK_TIMEOUT_MS = Number(process.env.DSPY_SUITE_TASK_TIMEOUT_MS ?? 180_000);
const SCREENSHOTS = process.env.DSPY_SUITE_SCREENSHOTS
  ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'target', 'browser-artifacts');
const FINAL = ['succeeded', 'failed', 'cancelled'];
const DESKTOP = { width: 1100, height: 900 };
const PHONE = { width: 390, height: 844 };
const EXAMPLES = [
  { question: 'What is the capital of France?', answer: 'Paris' },
  { question: 'What is the capital of Italy?', answer: 'Rome' },
  { question: 'What is the capital of Spain?', answer: 'Madrid' },
];

describe('gateway browser app in headless Chromium', () => {
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
      throw new Error(`gateway not reachable at ${BASE_URL}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
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

  /**
   * A fresh tab. Every WebSocket the page opens is kept in window.__sockets and every frame it sends in
   * window.__sent (the key is never in a frame: it travels in the subprotocol), so a test can cut the connection
   * and see what the page asks for when it comes back.
   */
  async function openPage(viewport = DESKTOP) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = [];
    const requests = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.__sent = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.__sockets.push(this);
        }

        send(data) {
          window.__sent.push(JSON.parse(data));
          super.send(data);
        }
      };
    });
    await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded' });
    return { page, errors, requests };
  }

  async function connect(page) {
    await page.fill('#api-key', API_KEY);
    await page.click('#connect');
    await waitConnected(page);
    // The catalog filled the pickers.
    await page.waitForFunction(() => document.querySelectorAll('#optimizer option').length > 0, null,
      { timeout: 30_000 });
  }

  async function waitConnected(page) {
    await page.waitForFunction(() => document.querySelector('#connection-status')?.dataset.state === 'connected',
      null, { timeout: 30_000 });
  }

  async function waitFinal(page, panel) {
    await page.waitForFunction(({ panel, final }) => final.includes(
      document.querySelector(`${panel} .task-status`)?.textContent), { panel, final: FINAL },
    { timeout: TASK_TIMEOUT_MS });
    const status = await page.textContent(`${panel} .task-status`);
    const error = await page.locator(`${panel} .task-error`).isVisible()
      ? await page.textContent(`${panel} .task-error`) : '';
    return { status, error };
  }

  /** The panel's event log: [seq, event] in DOM order. */
  function eventLog(page, panel) {
    return page.$$eval(`${panel} .task-events li`, (items) => items.map((li) => [Number(li.dataset.seq), li.dataset.event]));
  }

  function assertGapFree(events, what) {
    const seqs = events.map(([seq]) => seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), `${what}: seqs 1..n without gap or duplicate: ${seqs}`);
  }

  /** Records the panel's visible state after every DOM change (status, streamed text, whether a field is final). */
  async function recordStates(page, panel) {
    await page.evaluate((panel) => {
      window.__states = [];
      const root = document.querySelector(panel);
      const snapshot = () => window.__states.push({
        status: root.querySelector('.task-status')?.textContent,
        streamed: [...root.querySelectorAll('.output .value')].map((v) => v.textContent).join(''),
        complete: root.querySelectorAll('.output .value[data-complete="true"]').length,
      });
      new MutationObserver(snapshot).observe(root, { subtree: true, childList: true, characterData: true });
    }, panel);
  }

  test('a wrong API key shows a clear authentication error and no connection', async () => {
    const { page, errors } = await openPage();
    await page.fill('#api-key', 'wrong-key-0123456789abcdef');
    await page.click('#connect');
    await page.waitForFunction(() => /not valid|UNAUTHENTICATED/.test(document.querySelector('#key-message')?.textContent),
      null, { timeout: 15_000 });
    assert.equal(await page.getAttribute('#connection-status', 'data-state'), 'offline');
    assert.equal(await page.evaluate(() => window.__sockets.length), 0, 'no WebSocket was opened with a wrong key');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'wrong-key.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('a predict streams its answer live, then shows outputs, usage, latency and trace', { timeout: TASK_TIMEOUT_MS + 60_000 }, async () => {
    const { page, errors, requests } = await openPage();
    await connect(page);
    await recordStates(page, '#run-task');
    // The form was generated from the signature: one input per field, prefilled for this demo.
    assert.equal(await page.inputValue('#input-question'), 'What is the capital of France?');
    await page.click('#submit');

    await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.querySelector('#run-task .task-id')?.textContent),
      null, { timeout: 30_000 });
    const taskId = await page.textContent('#run-task .task-id');
    const { status, error } = await waitFinal(page, '#run-task');
    assert.equal(status, 'succeeded', `task ${taskId} ended ${status}: ${error}`);

    // Chunk text was on screen while the task was still running, before any field was final.
    const states = await page.evaluate(() => window.__states);
    assert.ok(states.some((s) => s.streamed.length > 0 && s.status === 'running' && s.complete === 0),
      `streamed text appeared before the final status: ${JSON.stringify(states.slice(0, 40))}`);
    const answer = await page.textContent('#run-task .output[data-field="answer"] .value');
    assert.ok(answer.trim().length > 0, 'a non-empty answer');
    assertGapFree(await eventLog(page, '#run-task'), 'predict');

    const timeline = await page.$$eval('#run-task .task-timeline li', (items) => items.map((li) => li.dataset.status));
    assert.ok(timeline.indexOf('running') >= 0 && timeline.indexOf('running') < timeline.indexOf('succeeded'),
      `timeline: ${timeline}`);
    await page.waitForSelector('#run-task .task-meta dd[data-meta="latency"]', { timeout: 15_000 });
    const meta = await page.$$eval('#run-task .task-meta dd', (dds) => Object.fromEntries(dds.map((dd) => [dd.dataset.meta, dd.textContent])));
    assert.match(meta.tokens ?? '', /\d+ in \/ \d+ out/);
    assert.match(meta['lm-calls'] ?? '', /^\d+/);
    assert.match(meta.trace ?? '', /^[0-9a-f]{32}$/);

    // The history lists the task as succeeded.
    await page.click('nav#views button[data-view="history"]');
    await page.waitForFunction((id) => document.querySelector(`#task-list tr[data-task-id="${id}"] .pill`)
      ?.textContent === 'succeeded', taskId, { timeout: 15_000 });
    await page.click('nav#views button[data-view="run"]');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'predict-desktop.png'), fullPage: true });

    assert.ok(requests.every((url) => !url.includes(API_KEY)), 'the key never appears in a URL');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('a reload and a dropped connection during a running task resume without gaps or duplicates', { timeout: TASK_TIMEOUT_MS + 60_000 }, async (t) => {
    const { page, errors } = await openPage();
    await connect(page);
    await page.selectOption('#module', 'chain_of_thought');
    await page.fill('#input-question', 'Why is the sky blue? Explain briefly.');
    await page.click('#submit');
    await page.waitForSelector('#run-task .task-events li[data-event="chunk"]', { state: 'attached', timeout: 60_000 });
    const taskId = await page.textContent('#run-task .task-id');
    assert.ok(!FINAL.includes(await page.textContent('#run-task .task-status')), 'still running at the reload');

    // 1. Reload: the tab keeps the key and the task in session storage and replays the task from its first event.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitConnected(page);
    await page.waitForFunction((id) => document.querySelector('#run-task .task-id')?.textContent === id, taskId,
      { timeout: 15_000 });

    // 2. Cut the connection as soon as the replay has shown events: the page reconnects and resubscribes after the
    // last seq seen.
    await page.waitForSelector('#run-task .task-events li', { state: 'attached', timeout: 30_000 });
    const statusAtCut = await page.textContent('#run-task .task-status');
    await page.evaluate(() => {
      window.__connectionStates = [];
      const pill = document.querySelector('#connection-status');
      new MutationObserver(() => window.__connectionStates.push(pill.dataset.state))
        .observe(pill, { attributes: true, childList: true });
      window.__sockets.at(-1).close();
    });
    await waitConnected(page);
    const { status, error } = await waitFinal(page, '#run-task');
    assert.equal(status, 'succeeded', `task ${taskId} ended ${status}: ${error}`);

    const events = await eventLog(page, '#run-task');
    assertGapFree(events, 'after the reload and the reconnect');
    assert.deepEqual(events.at(-1), [events.length, 'status']);
    const kinds = events.map(([, kind]) => kind);
    assert.ok(kinds.indexOf('chunk') >= 0 && kinds.indexOf('chunk') < kinds.indexOf('result'), `kinds: ${kinds}`);
    assert.ok((await page.evaluate(() => window.__connectionStates)).includes('reconnecting'),
      'the page showed that it was reconnecting');
    t.diagnostic(`connection cut while the task was ${statusAtCut}`);
    if (!FINAL.includes(statusAtCut)) {
      const resubscribed = await page.evaluate((id) => window.__sent.filter((f) => f.type === 'subscribe' && f.task_id === id),
        taskId);
      assert.ok(resubscribed.some((f) => f.after_seq > 0), `resubscribed with after_seq: ${JSON.stringify(resubscribed)}`);
    }
    const reasoning = await page.textContent('#run-task .output[data-field="reasoning"] .value');
    assert.ok(reasoning.trim().length > 0, 'the reasoning is shown');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'resumed-chain-of-thought.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('an optimization moves its progress bar, creates a version, promotes it, and the new program runs', { timeout: TASK_TIMEOUT_MS * 2 }, async () => {
    const { page, errors } = await openPage();
    await connect(page);
    await page.click('nav#views button[data-view="optimize"]');
    const program = `browser-qa-${Date.now().toString(36)}`;
    await page.fill('#opt-target', program);
    await page.selectOption('#optimizer', 'labeled_few_shot');
    await page.fill('#param-k', '2');
    await page.selectOption('#metric', 'exact_match');
    const jsonl = EXAMPLES.map((e) => JSON.stringify(e)).join('\n');
    await page.fill('#trainset', jsonl);
    await page.fill('#devset', jsonl);
    await page.evaluate(() => {
      window.__progress = [];
      const root = document.querySelector('#opt-task');
      new MutationObserver(() => {
        const bar = root.querySelector('.task-progress-bar');
        if (bar && !root.querySelector('.task-progress').hidden) {
          window.__progress.push(bar.value);
        }
      }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.click('#opt-submit');
    const { status, error } = await waitFinal(page, '#opt-task');
    assert.equal(status, 'succeeded', `optimization ended ${status}: ${error}`);

    const progress = await page.evaluate(() => window.__progress);
    assert.ok(progress.some((v, i) => i > 0 && v > progress[i - 1]), `the progress bar moved forward: ${progress}`);
    assert.ok(Number(await page.getAttribute('#opt-task figure.chart', 'data-points')) >= 1, 'the score chart has points');
    assertGapFree(await eventLog(page, '#opt-task'), 'optimization');

    await page.waitForSelector('#opt-outcome .new-version', { timeout: 15_000 });
    assert.equal(await page.getAttribute('#opt-outcome .new-version', 'data-program'), program);
    assert.equal(await page.getAttribute('#opt-outcome .new-version', 'data-version'), '2');
    await page.waitForSelector('#opt-versions tr[data-version="2"]', { timeout: 15_000 });
    await page.click('#promote');
    await page.waitForSelector('#opt-versions tr[data-version="2"][data-promoted="true"]', { timeout: 15_000 });
    assert.match(await page.textContent('#promote-message'), /now the promoted one/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'optimize-desktop.png'), fullPage: true });

    const versions = await (await fetch(`${BASE_URL}/api/v1/programs/${program}/versions`,
      { headers: { Authorization: `Bearer ${API_KEY}` } })).json();
    assert.equal(versions.promoted_version, 2, JSON.stringify(versions));

    // The new program is in the run view's picker, its form generated from its signature, and it runs (promoted v2).
    await page.click('nav#views button[data-view="run"]');
    await page.check('input[name="program-source"][value="named"]');
    await page.waitForSelector(`#program option[value="${program}"]`, { state: 'attached', timeout: 15_000 });
    await page.selectOption('#program', program);
    await page.waitForFunction(() => /promoted \(v2\)/.test(document.querySelector('#program-version option')?.textContent),
      null, { timeout: 15_000 });
    assert.equal(await page.inputValue('#input-question'), 'What is the capital of France?');
    await page.click('#submit');
    await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.querySelector('#run-task .task-id')?.textContent),
      null, { timeout: 30_000 });
    const named = await waitFinal(page, '#run-task');
    assert.equal(named.status, 'succeeded', `the optimized program ran: ${named.error}`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('the main flow works from the keyboard alone, with visible focus, on a phone-sized screen', { timeout: TASK_TIMEOUT_MS + 60_000 }, async () => {
    const { page, errors } = await openPage(PHONE);
    async function tabTo(id, max = 40) {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.id) === id) {
          return;
        }
      }
      assert.fail(`#${id} is not reachable with Tab`);
    }
    await tabTo('api-key');
    await page.keyboard.type(API_KEY);
    await page.keyboard.press('Enter');
    await waitConnected(page);
    await page.waitForFunction(() => document.querySelectorAll('#module option').length > 2, null, { timeout: 30_000 });

    await tabTo('submit');
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).boxShadow);
    assert.notEqual(ring, 'none', 'the focused button shows a focus ring');
    await page.keyboard.press('Enter');
    const { status, error } = await waitFinal(page, '#run-task');
    assert.equal(status, 'succeeded', `ended ${status}: ${error}`);

    // Readable on a phone: nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px too wide)`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'predict-phone.png'), fullPage: true });

    // The history view, by keyboard too.
    await page.focus('nav#views button[data-view="history"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#task-list tbody tr', { timeout: 15_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'history-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('the jobs view is shown exactly when the key may use the admin API', { timeout: 60_000 }, async () => {
    const probe = await fetch(`${BASE_URL}/api/v1/admin/queues`, { headers: { Authorization: `Bearer ${API_KEY}` } });
    const { page, errors } = await openPage();
    await connect(page);
    const tab = page.locator('nav#views button[data-view="admin"]');
    if (probe.status === 200) {
      await tab.waitFor({ state: 'visible', timeout: 15_000 });
      await tab.click();
      await page.waitForSelector('#queue-list tbody tr', { timeout: 15_000 });
      await page.click('#jobs-form button[type="submit"]');
      await page.waitForFunction(() => document.querySelector('#job-list tbody tr')
        || document.querySelector('#jobs-message')?.textContent, null, { timeout: 15_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-jobs.png'), fullPage: true });
    } else {
      await page.waitForSelector('nav#views[data-admin="no"]', { state: 'attached', timeout: 15_000 });
      assert.equal(await tab.isVisible(), false, `admin API answered ${probe.status}: no jobs tab`);
    }
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
