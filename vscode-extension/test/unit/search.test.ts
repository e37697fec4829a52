import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { apiWarning, formatStatus, hitToItem, isLoading, openTarget, SearchHit, toHits } from '../../src/lib/search';

const hit: SearchHit = {
  title: 'OAuth2 scopes',
  breadcrumb: 'Advanced User Guide › Security › OAuth2 scopes',
  url: 'https://fastapi.tiangolo.com/advanced/security/oauth2-scopes/',
  category: 'advanced',
  score: 92.5,
  excerpt: 'Use  OAuth2 scopes\n to restrict   what a token may do.',
  uri: 'file:///docs/advanced/security/oauth2-scopes.md',
  range: { start: { line: 0, character: 0 }, end: { line: 0, character: 15 } },
};

test('hitToItem: title as label, breadcrumb as description, one-line excerpt as detail', () => {
  const item = hitToItem(hit);
  assert.equal(item.label, 'OAuth2 scopes');
  assert.equal(item.description, 'Advanced User Guide › Security › OAuth2 scopes');
  assert.equal(item.detail, 'Use OAuth2 scopes to restrict what a token may do.');
});

test('hitToItem: falls back to the category and the URL, and shortens long text', () => {
  const item = hitToItem({ title: 'Status', url: 'https://x/s', category: 'reference', breadcrumb: 'Status' });
  assert.equal(item.description, 'reference');
  assert.equal(item.detail, 'https://x/s');
  const long = hitToItem({ title: 't', url: 'u', excerpt: 'word '.repeat(100) });
  assert.ok(long.detail!.length <= 160);
  assert.ok(long.detail!.endsWith('…'));
});

test('toHits keeps well-formed hits only', () => {
  assert.deepEqual(toHits(null), []);
  assert.deepEqual(toHits({ title: 'x' }), []);
  assert.deepEqual(toHits([hit, { title: 'no url' }, 3, null]), [hit]);
});

test('openTarget: editor only when configured and the hit has a local file', () => {
  assert.deepEqual(openTarget(hit, 'browser'), { kind: 'browser', url: hit.url });
  assert.deepEqual(openTarget(hit, undefined), { kind: 'browser', url: hit.url });
  assert.deepEqual(openTarget(hit, 'editor'), { kind: 'editor', uri: hit.uri, range: hit.range });
  assert.deepEqual(openTarget({ ...hit, uri: undefined }, 'editor'), { kind: 'browser', url: hit.url });
});

test('formatStatus shows the FastAPI version and the docs source kinds', () => {
  const s = formatStatus({
    version: '0.1.0',
    interpreter: '/proj/.venv/bin/python',
    fastapiVersion: '0.165.0',
    starletteVersion: '1.10.0',
    docsSources: [
      { kind: 'skill', path: '/proj/.venv/lib/fastapi/.agents/skills/fastapi', sections: 120 },
      { kind: 'catalog', sections: 300 },
    ],
    docsSummary: 'FastAPI skill + catalog',
  });
  assert.equal(s.text, '$(book) FastAPI 0.165.0 · skill+catalog');
  assert.match(s.tooltip, /Starlette 1\.10\.0/);
  assert.match(s.tooltip, /Project interpreter: \/proj\/\.venv\/bin\/python/);
  assert.match(s.tooltip, /skill \(120 sections\): \/proj/);
  assert.match(s.tooltip, /Click to search/);
});

test('formatStatus without FastAPI installed or without info', () => {
  assert.equal(formatStatus({ interpreter: '/usr/bin/python3', fastapiVersion: null, docsSources: [] }).text, '$(book) FastAPI (not installed)');
  assert.equal(formatStatus(undefined).text, '$(book) FastAPI');
});

test('formatStatus while the server is still loading, and with problems', () => {
  const loading = formatStatus({ version: '0.1.0', interpreter: null, fastapiVersion: null, docsSources: [] });
  assert.equal(loading.text, '$(sync~spin) FastAPI');
  const withProblems = formatStatus({ interpreter: '/p', fastapiVersion: '0.1', problems: ['fastapi not importable'] });
  assert.match(withProblems.tooltip, /⚠ fastapi not importable/);
});

test('formatStatus never claims a version whose API docs failed to load: warning state instead', () => {
  const info = {
    interpreter: '/proj/.venv/bin/python',
    fastapiVersion: '0.165.0',
    apiLoaded: false,
    apiError: "No module named 'fastapi_docs_lsp'",
    docsSources: [{ kind: 'catalog', sections: 300 }],
  };
  const s = formatStatus(info);
  assert.doesNotMatch(s.text, /0\.165\.0/);
  assert.equal(s.text, '$(warning) FastAPI · catalog');
  assert.equal(s.severity, 'warning');
  assert.match(s.tooltip, /could not be read: No module named 'fastapi_docs_lsp'/);
  assert.equal(isLoading(info), false, 'a failure is final: no more polling');
  const w = apiWarning(info);
  assert.ok(w);
  assert.match(w.message, /could not read the installed FastAPI 0\.165\.0 in \/proj\/\.venv\/bin\/python: No module named/);
  // the same failure gives the same key (one notification), another failure another key
  assert.equal(apiWarning({ ...info })!.key, w.key);
  assert.notEqual(apiWarning({ ...info, apiError: 'timeout' })!.key, w.key);
  assert.equal(apiWarning({ ...info, apiError: null, apiLoaded: true }), undefined);
});

test('formatStatus while the API docs of an installed FastAPI are being read: no version yet', () => {
  const info = { interpreter: '/p/bin/python', fastapiVersion: '0.165.0', apiLoaded: false, apiError: null, docsSources: [{ kind: 'catalog' }] };
  assert.equal(isLoading(info), true);
  const s = formatStatus(info);
  assert.equal(s.text, '$(sync~spin) FastAPI');
  assert.match(s.tooltip, /reading the API docs of FastAPI 0\.165\.0/);
  const done = formatStatus({ ...info, apiLoaded: true });
  assert.equal(done.text, '$(book) FastAPI 0.165.0 · catalog');
  assert.equal(done.severity, undefined);
  // an older server without apiLoaded keeps working
  assert.equal(formatStatus({ interpreter: '/p', fastapiVersion: '0.1', docsSources: [] }).text, '$(book) FastAPI 0.1');
});
