import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildServerSettings, classifyChange, launchKey, serverKey, serverSettingKeys } from '../../src/lib/settings';

const EXT_ROOT = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(EXT_ROOT, 'package.json'), 'utf8'));
const properties: Record<string, { default?: unknown; scope?: string; description?: string; markdownDescription?: string }> =
  pkg.contributes.configuration.properties;
const KEYS = serverSettingKeys(Object.keys(properties));
const defaults = (key: string) => properties[`fastapi.${key}`]?.default;

test('serverKey strips the section and drops extension-only settings', () => {
  assert.equal(serverKey('fastapi.hover.enabled'), 'hover.enabled');
  assert.equal(serverKey('fastapi.pythonPath'), 'pythonPath');
  assert.equal(serverKey('fastapi.server.interpreter'), undefined);
  assert.equal(serverKey('fastapi.trace.server'), undefined);
  assert.equal(serverKey('python.defaultInterpreterPath'), undefined);
  assert.ok(!KEYS.some((k) => k.startsWith('server.') || k.startsWith('trace.')));
});

test('defaults map to the nested object the server parses, with pythonPath filled in', () => {
  const s = buildServerSettings(KEYS, defaults, '/proj/.venv/bin/python');
  assert.equal(s.pythonPath, '/proj/.venv/bin/python');
  assert.deepEqual(s.hover, { enabled: true, maxLinks: 3, excerpt: true });
  assert.deepEqual(s.completion, { enabled: true });
  assert.deepEqual(s.diagnostics, { enabled: true, rules: {} });
  assert.equal(s.openReferencesIn, 'browser');
  assert.deepEqual(s.referencePaths, []);
  assert.equal('server' in s, false);
  assert.equal('trace' in s, false);
});

test('an explicit fastapi.pythonPath is kept (with variables expanded) instead of the resolved interpreter', () => {
  const values: Record<string, unknown> = { pythonPath: '${workspaceFolder}/.venv/bin/python', referencePaths: ['docs', '~/fastapi/docs', '/abs'] };
  const s = buildServerSettings(KEYS, (k) => values[k] ?? defaults(k), '/usr/bin/python3', { workspaceFolder: '/ws', userHome: '/home/u' });
  assert.equal(s.pythonPath, '/ws/.venv/bin/python');
  assert.deepEqual(s.referencePaths, ['/ws/docs', '/home/u/fastapi/docs', '/abs']);
});

test('user values override defaults; undefined and null are left out', () => {
  const values: Record<string, unknown> = { 'hover.maxLinks': 1, 'diagnostics.rules': { FAD001: 'off' }, logLevel: null };
  const s = buildServerSettings(KEYS, (k) => (k in values ? values[k] : defaults(k)), undefined);
  assert.equal((s.hover as Record<string, unknown>).maxLinks, 1);
  assert.deepEqual((s.diagnostics as Record<string, unknown>).rules, { FAD001: 'off' });
  assert.equal('logLevel' in s, false);
  assert.equal(s.pythonPath, '', 'empty default stays when nothing was resolved');
});

test('the result is plain JSON (no proxies or functions)', () => {
  const weird = { toJSON: () => ({ a: 1 }) };
  const s = buildServerSettings(['diagnostics.rules'], () => weird, undefined);
  assert.deepEqual(s, { diagnostics: { rules: { a: 1 } } });
});

test('classifyChange: server and pythonPath settings restart, server settings reconfigure, others nothing', () => {
  const affects = (...changed: string[]) => (section: string) =>
    changed.some((c) => c === section || c.startsWith(section + '.'));
  assert.equal(classifyChange(affects('fastapi.server.interpreter'), KEYS), 'restart');
  assert.equal(classifyChange(affects('fastapi.server.importStrategy'), KEYS), 'restart');
  assert.equal(classifyChange(affects('fastapi.pythonPath'), KEYS), 'restart');
  assert.equal(classifyChange(affects('fastapi.hover.maxLinks'), KEYS), 'reconfigure');
  assert.equal(classifyChange(affects('fastapi.referencePaths'), KEYS), 'reconfigure');
  assert.equal(classifyChange(affects('fastapi.trace.server'), KEYS), 'none');
  assert.equal(classifyChange(affects('editor.fontSize'), KEYS), 'none');
  assert.equal(classifyChange(affects('fastapi.hover.enabled', 'fastapi.server.args'), KEYS), 'restart');
});

test('launchKey changes exactly when a launch input changes', () => {
  const base = { serverInterpreter: '/a/python', projectInterpreter: '/a/python', strategy: 'useBundled', args: [] as string[] };
  assert.equal(launchKey(base), launchKey({ ...base }));
  assert.notEqual(launchKey(base), launchKey({ ...base, projectInterpreter: '/b/python' }));
  assert.notEqual(launchKey(base), launchKey({ ...base, strategy: 'fromEnvironment' }));
  assert.notEqual(launchKey(base), launchKey({ ...base, args: ['--log-level', 'debug'] }));
});

test('every contributed setting has a description and a scope', () => {
  for (const [key, prop] of Object.entries(properties)) {
    assert.ok(key.startsWith('fastapi.'), key);
    assert.ok(prop.description || prop.markdownDescription, `${key} has no description`);
    assert.ok(prop.scope, `${key} has no scope`);
  }
});

/** The Python that has the server importable: $PYTHON, else the repo's venv, else python3. */
function serverPython(): string | undefined {
  const candidates = [process.env.PYTHON, path.resolve(EXT_ROOT, '..', '..', 'venv', 'bin', 'python'), 'python3'].filter(Boolean) as string[];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import fastapi_docs_lsp.settings'], { env: { ...process.env, PYTHONPATH: path.join(EXT_ROOT, '..', 'server') } });
    if (r.status === 0) {
      return py;
    }
  }
  return undefined;
}

test('package.json mirrors every server setting with the server default', (t) => {
  const py = serverPython();
  if (!py) {
    t.skip('no Python that can import fastapi_docs_lsp.settings');
    return;
  }
  const r = spawnSync(py, ['-c', 'import json; from fastapi_docs_lsp.settings import settings_schema; print(json.dumps(settings_schema()))'], {
    env: { ...process.env, PYTHONPATH: path.join(EXT_ROOT, '..', 'server') },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const schema: Record<string, unknown> = JSON.parse(r.stdout);
  assert.deepEqual([...KEYS].sort(), Object.keys(schema).sort(), 'fastapi.* settings in package.json differ from settings.py');
  for (const [key, value] of Object.entries(schema)) {
    assert.deepEqual(defaults(key), value, `default of fastapi.${key}`);
  }
  // and what we send parses without problems
  const sent = buildServerSettings(KEYS, defaults, '/usr/bin/python3');
  const parse = spawnSync(py, ['-c', 'import json,sys; from fastapi_docs_lsp.settings import parse_settings; s, p = parse_settings(json.load(sys.stdin)); print(json.dumps(p))'], {
    env: { ...process.env, PYTHONPATH: path.join(EXT_ROOT, '..', 'server') },
    input: JSON.stringify(sent),
    encoding: 'utf8',
  });
  assert.equal(parse.status, 0, parse.stderr);
  assert.deepEqual(JSON.parse(parse.stdout), [], 'the server reported problems with the settings we send');
});

test('workspace trust: limited support, and every setting that picks what runs is restricted', () => {
  const trust = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(trust?.supported, 'limited');
  assert.ok(trust.description);
  for (const key of ['fastapi.server.interpreter', 'fastapi.pythonPath', 'fastapi.server.importStrategy', 'fastapi.server.args']) {
    assert.ok(trust.restrictedConfigurations.includes(key), `${key} is not restricted`);
    assert.ok(properties[key], `${key} is not a contributed setting`);
  }
});

test('the agreed settings: fastapi.docsLanguage (enum, "auto") and fastapi.codeLens (bool, true)', () => {
  const lang = properties['fastapi.docsLanguage'] as { enum?: string[]; default?: unknown; enumDescriptions?: string[] };
  assert.deepEqual(lang.enum, ['auto', 'en', 'de', 'es', 'fr', 'hi', 'ja', 'ko', 'pt', 'ru', 'tr', 'uk', 'zh', 'zh-hant']);
  assert.equal(lang.enumDescriptions?.length, lang.enum?.length);
  assert.equal(lang.default, 'auto');
  const lens = properties['fastapi.codeLens'] as { type?: string; default?: unknown };
  assert.equal(lens.type, 'boolean');
  assert.equal(lens.default, true);
  assert.ok(KEYS.includes('docsLanguage') && KEYS.includes('codeLens'), 'both are sent to the server');
});

test('marketplace metadata: repository, license, icon shipped in the .vsix, engine matches @types/vscode', () => {
  assert.match(pkg.repository?.url ?? '', /^https:\/\//);
  assert.equal(pkg.license, 'MIT');
  assert.ok(fs.existsSync(path.join(EXT_ROOT, 'LICENSE.txt')));
  assert.ok(pkg.icon && fs.existsSync(path.join(EXT_ROOT, pkg.icon)), 'icon file');
  const ignore = fs.readFileSync(path.join(EXT_ROOT, '.vscodeignore'), 'utf8');
  assert.ok(ignore.includes(`!${pkg.icon}`), 'the icon is not excluded from the .vsix');
  assert.equal(pkg.devDependencies['@types/vscode'].replace(/^\D*/, ''), pkg.engines.vscode.replace(/^\D*/, ''));
});
