// End-to-end test in a real VS Code (code-server) driven by Debian chromium + playwright-core.
// Started by scripts/e2e.sh, which runs code-server with the .vsix installed and this env:
//   CS_URL     code-server URL            WS         fixture workspace folder (a copy)
//   ARTIFACTS  screenshot directory       FASTAPI_VERSION  expected FastAPI version (optional)
//   EXPECT_DOC FastAPI's own Doc() text for Query(max_length=...), read from the fixture's .venv
// Steps: open the fixture project, open a file, the status bar shows the fixture .venv's FastAPI
// (found by the server without the Python extension), hover `max_length=` shows FastAPI's Doc()
// text (the installed FastAPI was read on an empty cache), the "1 test" CodeLens on a route opens
// VS Code's references view (client command fastapi.showReferences), hover `Depends` (FastAPI docs + docs
// link), completion after `status.` (HTTP_404_NOT_FOUND with its description), "FastAPI: Search
// Docs" + "oauth scopes" (the OAuth2 scopes page is offered), picking it opens the docs URL;
// then a broken `fastapi.server.interpreter` must restart the server and give exactly one error
// notification with a "Show log" button, and restoring it must bring the server back.
// Every step is attempted; the exit code is the number of failed steps.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const URL = process.env.CS_URL || 'http://127.0.0.1:8130';
const WS = process.env.WS;
const ART = process.env.ARTIFACTS || path.resolve('artifacts');
const FASTAPI_VERSION = process.env.FASTAPI_VERSION || '';
const EXPECT_DOC = process.env.EXPECT_DOC || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!WS) {
  console.error('WS (workspace folder) is required');
  process.exit(2);
}
fs.mkdirSync(ART, { recursive: true });

const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const results = [];

async function step(name, page, fn) {
  const start = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - start });
    lap(`PASS ${name}`);
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - start, error: err.message.split('\n')[0] });
    lap(`FAIL ${name}: ${err.message}`);
    const file = path.join(ART, `fail-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    await page.screenshot({ path: file }).catch(() => {});
    await page.keyboard.press('Escape').catch(() => {});
  }
}

async function retry(times, fn) {
  let last;
  for (let i = 0; i < times; i++) {
    try {
      return await fn(i);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

(async () => {
  const userDataDir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'fdl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
  // the docs site is not reachable from CI: answer its URLs with a stub so opened pages keep their URL
  await context.route(/^https:\/\/fastapi\.tiangolo\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<title>FastAPI docs (stub)</title>' }));
  const page = context.pages()[0] || (await context.newPage());
  page.on('console', (m) => { if (m.type() === 'error') console.log('[page error]', m.text().slice(0, 200)); });

  const editorLines = page.locator('.monaco-editor .view-lines');
  // Screen box of `word` inside the first editor line containing `lineText` (monaco merges
  // same-coloured tokens into one span, so measure the text itself with a DOM Range).
  const wordBox = (lineText, word) =>
    page.evaluate(([lineText, word]) => {
      const lines = [...document.querySelectorAll('.monaco-editor .view-lines .view-line')];
      const line = lines.find((l) => l.textContent.replace(/\u00a0/g, ' ').includes(lineText));
      if (!line) return null;
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const nodes = [];
      let text = '';
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        nodes.push([n, text.length]);
        text += n.textContent.replace(/\u00a0/g, ' ');
      }
      const at = text.indexOf(lineText) + lineText.indexOf(word);
      const [node, base] = nodes.filter(([, b]) => b <= at).pop();
      const range = document.createRange();
      range.setStart(node, at - base);
      range.setEnd(node, Math.min(at - base + word.length, node.textContent.length));
      const r = range.getBoundingClientRect();
      return r.width > 0 ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
    }, [lineText, word]);

  await step('open fixture project', page, async () => {
    await page.goto(`${URL}/?folder=${encodeURIComponent(WS)}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'inventory' }).first().waitFor({ timeout: 30000 });
  });

  await step('open a file', page, async () => {
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^inventory$/ }).first();
    await folder.click();
    const file = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^main\.py$/ }).first();
    await file.waitFor({ timeout: 10000 });
    await file.click();
    await editorLines.filter({ hasText: 'def current_user' }).first().waitFor({ timeout: 30000 });
  });

  await step('status bar shows FastAPI version and docs source', page, async () => {
    // the server is up and has inspected the project's environment
    // case-sensitive: the server's progress item ("FastAPI docs: ... fastapi 0.x") must not match
    const want = new RegExp(`^\\s*FastAPI ${FASTAPI_VERSION ? FASTAPI_VERSION.replace(/\./g, '\\.') : '\\d+\\.\\d+'}\\b`);
    const item = page.locator('.statusbar-item', { hasText: want });
    await item.first().waitFor({ timeout: 90000 });
    console.log('STATUS:', (await item.first().innerText()).trim());
  });

  await step("hover max_length= shows FastAPI's own Doc() text from the workspace .venv", page, async () => {
    if (!EXPECT_DOC) throw new Error('EXPECT_DOC not set (scripts/e2e.sh reads it from the fixture .venv)');
    const hover = page.locator('.monaco-hover:visible', { hasText: 'max_length' });
    let text = '';
    await retry(30, async () => {
      const b = await wordBox('Query(max_length=50)', 'max_length');
      if (!b) throw new Error('Query(max_length=50) not rendered');
      await page.mouse.move(5, 5);
      await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 3 });
      await hover.first().waitFor({ timeout: 2500 });
      text = (await hover.first().innerText()).replace(/\s+/g, ' ').trim();
      // while the API docs load the hover may be the catalog's: wait for the real one
      if (!text.includes(EXPECT_DOC)) {
        await page.waitForTimeout(2000); // give the API extraction time before hovering again
        throw new Error(`no Doc() text yet: ${text.slice(0, 300)}`);
      }
    });
    console.log('HOVER max_length:', text.slice(0, 400));
    if (!/max_length: int \| None = None/.test(text)) throw new Error(`no signature from the installed FastAPI: ${text.slice(0, 300)}`);
    await page.waitForTimeout(400); // fade-in
    await page.screenshot({ path: path.join(ART, 'hover-max-length.png') });
    await page.mouse.move(5, 5);
  });

  await step('hover Depends shows FastAPI docs with a docs link', page, async () => {
    // the call in `Depends(oauth2_scheme)`, not the import
    const hover = page.locator('.monaco-hover:visible', { hasText: 'Depends' });
    await retry(30, async () => {
      const b = await wordBox('Depends(oauth2_scheme)', 'Depends');
      if (!b) throw new Error('Depends(oauth2_scheme) not rendered');
      await page.mouse.move(5, 5);
      await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 3 });
      await hover.first().waitFor({ timeout: 2500 });
    });
    const text = (await hover.first().innerText()).trim();
    console.log('HOVER:', text.replace(/\s+/g, ' ').slice(0, 400));
    const links = await hover.first().locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('data-href') || a.getAttribute('href') || ''));
    console.log('HOVER LINKS:', links.join(' '));
    if (!links.some((l) => /^https:\/\/fastapi\.tiangolo\.com\//.test(l))) {
      throw new Error(`no fastapi.tiangolo.com link in the hover (links: ${links.join(', ') || 'none'})`);
    }
    if (!/depend/i.test(text.replace(/\bDepends\b/g, '')) && text.length < 80) {
      throw new Error('hover has no documentation text');
    }
    await page.waitForTimeout(400); // fade-in
    await page.screenshot({ path: path.join(ART, 'hover.png') });
    await page.mouse.move(5, 5);
  });

  await step('the "N tests" CodeLens on a route opens the references view with its test (fastapi.showReferences)', page, async () => {
    await page.keyboard.press('Escape');
    // the lens above `@app.get("/stock/{name}")`: tests/test_stock.py calls it once
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: /\b1 tests?\b/ });
    await lens.first().waitFor({ timeout: 60000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(ART, 'codelens.png') });
    await lens.first().click();
    const peek = page.locator('.peekview-widget, .reference-zone-widget');
    await peek.first().waitFor({ timeout: 15000 });
    // the peek opens with "Loading..." and fills in when the locations are resolved
    let text = '';
    for (let waited = 0; waited < 15000; waited += 250) {
      text = (await peek.first().innerText()).replace(/\s+/g, ' ');
      if (/test_stock\.py/.test(text)) break;
      await page.waitForTimeout(250);
    }
    console.log('REFERENCES:', text.slice(0, 300));
    if (!/test_stock\.py/.test(text)) throw new Error(`the references view does not list tests/test_stock.py: ${text.slice(0, 200)}`);
    await page.screenshot({ path: path.join(ART, 'codelens-references.png') });
    await page.keyboard.press('Escape');
  });

  await step('completion after status. offers HTTP_404_NOT_FOUND with its description', page, async () => {
    await page.keyboard.press('Escape');
    const line = page.locator('.monaco-editor .view-line', { hasText: 'STOCK.pop(name, None)' }).first();
    await line.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('missing = status.', { delay: 30 });
    const widget = page.locator('.editor-widget.suggest-widget.visible');
    const row = widget.locator('.monaco-list-row', { hasText: 'HTTP_404_NOT_FOUND' });
    await retry(5, async (i) => {
      if (i > 0) {
        await page.keyboard.press('Escape');
      }
      await page.keyboard.press('Control+Space');
      await widget.waitFor({ timeout: 5000 });
      await page.keyboard.type('HTTP_404', { delay: 30 });
      try {
        await row.first().waitFor({ timeout: 5000 });
      } catch (err) {
        // undo the filter text before retrying
        for (let k = 0; k < 'HTTP_404'.length; k++) await page.keyboard.press('Backspace');
        throw err;
      }
    });
    // the row's detail plus the details pane (opened with Ctrl+Space) hold the description
    let described = '';
    for (let i = 0; i < 3 && !/not found/i.test(described); i++) {
      const details = widget.page().locator('.suggest-details-container .suggest-details:visible');
      if (!(await details.count())) {
        await page.keyboard.press('Control+Space');
        await page.waitForTimeout(400);
      }
      described = [await row.first().innerText().catch(() => ''), await details.first().innerText().catch(() => '')].join(' ');
    }
    console.log('COMPLETION:', described.replace(/\s+/g, ' ').slice(0, 300));
    await page.screenshot({ path: path.join(ART, 'completion.png') });
    if (!/not found/i.test(described)) {
      throw new Error('HTTP_404_NOT_FOUND has no "Not Found" description');
    }
    await page.keyboard.press('Escape');
  });

  let searchOpen = false;
  await step('Search Docs offers the OAuth2 scopes page for "oauth scopes"', page, async () => {
    await page.keyboard.press('Escape');
    const input = page.locator('.quick-input-widget input');
    await retry(3, async () => {
      await page.keyboard.press('F1');
      await input.first().waitFor({ timeout: 5000 });
      await page.keyboard.type('FastAPI: Search Docs', { delay: 20 });
      const cmd = page.locator('.quick-input-list .monaco-list-row', { hasText: 'FastAPI: Search Docs' });
      await cmd.first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'FastAPI: Search Docs' }).first().waitFor({ timeout: 5000 });
    });
    await page.keyboard.type('oauth scopes', { delay: 40 });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const hit = rows.filter({ hasText: 'OAuth2 scopes' });
    await hit.first().waitFor({ timeout: 15000 });
    const labels = await rows.evaluateAll((els) => els.slice(0, 5).map((e) => e.innerText.replace(/\s+/g, ' ')));
    console.log('SEARCH:', labels.join(' || '));
    await page.screenshot({ path: path.join(ART, 'search.png') });
    searchOpen = true;
    // select the OAuth2 scopes entry for the next step
    await hit.first().hover();
  });

  await step('picking the result opens the docs page in the browser', page, async () => {
    if (!searchOpen) {
      throw new Error('search step failed');
    }
    const popup = context.waitForEvent('page', { timeout: 15000 });
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'OAuth2 scopes' }).first().click();
    // VS Code may ask before opening an external site
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
    const opened = await Promise.race([
      popup.then((p) => ({ page: p })),
      confirm.first().waitFor({ timeout: 15000 }).then(() => ({ dialog: true })),
    ]);
    let target = opened.page;
    if (!target) {
      await page.screenshot({ path: path.join(ART, 'open-external-dialog.png') });
      const next = context.waitForEvent('page', { timeout: 15000 });
      await confirm.first().click();
      target = await next;
    }
    await target.waitForURL(/^https?:/, { timeout: 10000 }).catch(() => {});
    const url = target.url();
    console.log('OPENED:', url);
    if (!/fastapi\.tiangolo\.com\/advanced\/security\/oauth2-scopes/.test(url)) {
      throw new Error(`opened ${url}`);
    }
    await target.close().catch(() => {});
  });

  // workspace settings (.vscode/settings.json in the fixture copy): VS Code watches the folder
  const SETTINGS = path.join(WS, '.vscode', 'settings.json');
  const editSettings = (edit) => {
    const data = fs.existsSync(SETTINGS) ? JSON.parse(fs.readFileSync(SETTINGS, 'utf8')) : {};
    edit(data);
    fs.mkdirSync(path.dirname(SETTINGS), { recursive: true });
    fs.writeFileSync(SETTINGS, JSON.stringify(data, null, 2));
  };
  let goodInterpreter;
  await step('a broken interpreter setting gives one error notification with Show log', page, async () => {
    await page.keyboard.press('Escape');
    // clear earlier notifications so we count only new ones
    await page.keyboard.press('Escape');
    goodInterpreter = true;
    editSettings((d) => {
      d['fastapi.server.interpreter'] = '/nonexistent/bin/python3';
    });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: '/nonexistent/bin/python3' });
    await toast.first().waitFor({ timeout: 20000 });
    const text = (await toast.first().innerText()).replace(/\s+/g, ' ');
    console.log('NOTIFICATION:', text);
    await page.waitForTimeout(600); // fade-in
    await page.screenshot({ path: path.join(ART, 'startup-error.png') });
    if (!/does not exist/.test(text) || !/Fix:/.test(text)) throw new Error(`unclear message: ${text}`);
    const button = toast.first().locator('.monaco-button', { hasText: 'Show log' });
    if (!(await button.count())) throw new Error('no "Show log" button');
    await page.waitForTimeout(2000);
    const count = await toast.count();
    if (count !== 1) throw new Error(`${count} notifications for one failure`);
    await button.first().click();
    // the output panel shows our log channel with the same problem
    await page.locator('.part.panel .monaco-editor .view-lines', { hasText: 'does not exist' }).first().waitFor({ timeout: 10000 });
    const status = page.locator('.statusbar-item', { hasText: /^\s*FastAPI\s*$/ });
    await status.first().waitFor({ timeout: 5000 });
  });

  await step('restoring the interpreter restarts the server', page, async () => {
    if (!goodInterpreter) throw new Error('previous step did not run');
    editSettings((d) => {
      delete d['fastapi.server.interpreter']; // back to the user setting
    });
    const want = new RegExp(`^\\s*FastAPI ${FASTAPI_VERSION ? FASTAPI_VERSION.replace(/\./g, '\\.') : '\\d+\\.\\d+'}\\b`);
    await page.locator('.statusbar-item', { hasText: want }).first().waitFor({ timeout: 60000 });
  });

  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.writeFileSync(path.join(ART, 'e2e-results.json'), JSON.stringify(results, null, 2));
  const failed = results.filter((r) => !r.ok);
  console.log(`\n${results.length - failed.length}/${results.length} steps passed`);
  for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? '' : ` — ${r.error}`}`);
  process.exit(failed.length);
})().catch((err) => {
  console.error('e2e crashed:', err);
  process.exit(100);
});
