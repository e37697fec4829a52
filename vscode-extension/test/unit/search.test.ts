import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatStatus, hitToItem, openTarget, SearchHit, toHits } from '../../src/lib/search';

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
