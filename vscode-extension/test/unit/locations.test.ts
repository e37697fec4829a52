import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CLIENT_COMMANDS, parseShowReferencesArgs } from '../../src/lib/locations';

const pos = { line: 3, character: 4 };
const loc = (uri: string, line: number) => ({ uri, range: { start: { line, character: 0 }, end: { line, character: 9 } } });

test('the advertised client command is the agreed name', () => {
  assert.deepEqual([...CLIENT_COMMANDS], ['fastapi.showReferences']);
});

test('parseShowReferencesArgs keeps uri, position and every well-formed location', () => {
  const r = parseShowReferencesArgs(['file:///p/app/main.py', pos, [loc('file:///p/tests/test_a.py', 10), loc('file:///p/tests/test_b.py', 2)]]);
  assert.ok(typeof r !== 'string');
  assert.equal(r.uri, 'file:///p/app/main.py');
  assert.deepEqual(r.position, pos);
  assert.deepEqual(r.locations.map((l) => [l.uri, l.range.start.line]), [
    ['file:///p/tests/test_a.py', 10],
    ['file:///p/tests/test_b.py', 2],
  ]);
});

test('parseShowReferencesArgs accepts LocationLinks and drops malformed locations', () => {
  const link = { targetUri: 'file:///p/t.py', targetRange: loc('x', 5).range, targetSelectionRange: loc('x', 6).range };
  const r = parseShowReferencesArgs(['file:///p/a.py', pos, [link, { uri: 'file:///p/bad.py' }, null, 'x', loc('file:///p/ok.py', 1)]]);
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r.locations.map((l) => [l.uri, l.range.start.line]), [
    ['file:///p/t.py', 6],
    ['file:///p/ok.py', 1],
  ]);
});

test('parseShowReferencesArgs rejects a malformed head with a message', () => {
  assert.match(parseShowReferencesArgs([]) as string, /document URI/);
  assert.match(parseShowReferencesArgs(['file:///a.py', { line: -1, character: 0 }, []]) as string, /Position/);
  assert.match(parseShowReferencesArgs(['file:///a.py', pos, 'nope']) as string, /Locations/);
});
