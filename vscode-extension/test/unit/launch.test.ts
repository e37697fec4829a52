import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { CheckReport, CheckRun, crashProblem, diagnose, normalizeStrategy, parseReport, serverLaunch, STRATEGY_ENV } from '../../src/lib/launch';

const EXT_ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(EXT_ROOT, 'python', 'launch_server.py');

const goodReport: CheckReport = {
  executable: '/venv/bin/python',
  python: '3.11.7',
  minPython: '3.10',
  versionOk: true,
  strategy: 'useBundled',
  bundled: true,
  serverVersion: '0.1.0',
  serverPath: '/ext/bundled/libs/fastapi_docs_lsp',
  missing: [],
  error: null,
};

const run = (over: Partial<CheckRun> & { report?: Partial<CheckReport> }): CheckRun => ({
  interpreter: '/venv/bin/python',
  sourceText: 'from settings',
  strategy: 'useBundled',
  exitCode: 0,
  stdout: JSON.stringify({ ...goodReport, ...(over.report ?? {}) }),
  stderr: '',
  ...over,
});

test('serverLaunch runs the launcher with the strategy in the environment', () => {
  const spec = serverLaunch({ interpreter: '/venv/bin/python', launcher: '/ext/python/launch_server.py', strategy: 'fromEnvironment', extraArgs: ['-v'], baseEnv: { PATH: '/bin', UNSET: undefined } });
  assert.equal(spec.command, '/venv/bin/python');
  assert.deepEqual(spec.args, ['/ext/python/launch_server.py', '-v']);
  assert.equal(spec.env[STRATEGY_ENV], 'fromEnvironment');
  assert.equal(spec.env.PATH, '/bin');
  assert.equal('UNSET' in spec.env, false);
});

test('normalizeStrategy defaults to useBundled', () => {
  assert.equal(normalizeStrategy('fromEnvironment'), 'fromEnvironment');
  assert.equal(normalizeStrategy('useBundled'), 'useBundled');
  assert.equal(normalizeStrategy('bogus'), 'useBundled');
  assert.equal(normalizeStrategy(undefined), 'useBundled');
});

test('parseReport takes the last JSON line and ignores noise', () => {
  const out = `hello from sitecustomize\n{"not": "ours"}\n${JSON.stringify(goodReport)}\n`;
  assert.deepEqual(parseReport(out), goodReport);
  assert.equal(parseReport('Traceback...\n'), undefined);
});

test('diagnose: a healthy report is ok', () => {
  const d = diagnose(run({}));
  assert.equal(d.ok, true);
});

test('diagnose: no interpreter at all', () => {
  const d = diagnose(run({ interpreter: undefined }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /no Python interpreter found/);
    assert.match(d.problem.fix, /fastapi\.server\.interpreter/);
    assert.ok(d.problem.actions.includes('selectInterpreter'));
  }
});

test('diagnose: interpreter path that does not exist', () => {
  const d = diagnose(run({ spawnError: { code: 'ENOENT', message: 'spawn /nope ENOENT' }, stdout: '', exitCode: null }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /"\/venv\/bin\/python" \(from settings\) does not exist/);
  }
});

test('diagnose: Python too old names the version, the minimum and the fix', () => {
  const d = diagnose(run({ report: { python: '3.8.18', versionOk: false } }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /Python 3\.8\.18 .* is too old; the server needs Python 3\.10 or newer/);
    assert.match(d.problem.fix, /Select Interpreter|fastapi\.server\.interpreter/);
  }
});

test('diagnose: fromEnvironment without the server tells the pip command and the bundled alternative', () => {
  const d = diagnose(run({ strategy: 'fromEnvironment', report: { strategy: 'fromEnvironment', missing: ['fastapi-docs-lsp'], serverVersion: null, serverPath: null } }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /fastapi-docs-lsp server is not installed in the environment of "\/venv\/bin\/python"/);
    assert.match(d.problem.fix, /\/venv\/bin\/python -m pip install --upgrade fastapi-docs-lsp/);
    assert.match(d.problem.fix, /useBundled/);
    assert.deepEqual(d.problem.actions, ['useBundled', 'openSettings']);
  }
});

test('diagnose: fromEnvironment with missing dependencies lists them', () => {
  const d = diagnose(run({ strategy: 'fromEnvironment', report: { missing: ['pygls', 'griffe'] } }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /dependencies pygls, griffe are missing/);
    assert.match(d.problem.fix, /pip install pygls griffe/);
  }
});

test('diagnose: a broken bundle says to reinstall', () => {
  const d = diagnose(run({ report: { error: 'SyntaxError: bad' } }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /bundled server does not load .*SyntaxError: bad/);
    assert.match(d.problem.fix, /Reinstall the extension/);
  }
  const unbundled = diagnose(run({ report: { bundled: false, missing: ['fastapi-docs-lsp'] } }));
  assert.equal(unbundled.ok, false);
  if (!unbundled.ok) {
    assert.match(unbundled.problem.message, /no bundled server/);
  }
});

test('diagnose: garbage output reports stderr', () => {
  const d = diagnose(run({ stdout: '', stderr: 'line1\nSegmentation fault\n', exitCode: 139 }));
  assert.equal(d.ok, false);
  if (!d.ok) {
    assert.match(d.problem.message, /did not run the server check: line1 \| Segmentation fault/);
  }
});

test('crashProblem carries the stderr tail', () => {
  assert.match(crashProblem('/py', 'ImportError: x').message, /stopped unexpectedly \(\/py\): ImportError: x/);
});

// --- the real launcher (python/launch_server.py) against diagnose() -------------------------

function python3(): string | undefined {
  for (const py of [process.env.PYTHON, 'python3', 'python'].filter(Boolean) as string[]) {
    if (spawnSync(py, ['-c', 'import sys; assert sys.version_info >= (3, 10)']).status === 0) {
      return py;
    }
  }
  return undefined;
}

test('launcher --check in fromEnvironment mode with an empty environment reports the server missing', (t) => {
  const py = python3();
  if (!py) {
    t.skip('no python >= 3.10');
    return;
  }
  const r = spawnSync(py, ['-I', LAUNCHER, '--check'], { env: { [STRATEGY_ENV]: 'fromEnvironment', PATH: process.env.PATH }, encoding: 'utf8' });
  // -I: isolated mode, so no user site / PYTHONPATH can provide the server
  assert.equal(r.status, 0, r.stderr);
  const report = parseReport(r.stdout);
  assert.ok(report, r.stdout);
  assert.equal(report.versionOk, true);
  assert.equal(report.strategy, 'fromEnvironment');
  const d = diagnose({ interpreter: py, sourceText: 'found on PATH', strategy: 'fromEnvironment', exitCode: r.status, stdout: r.stdout, stderr: r.stderr });
  // the interpreter's site-packages may really have the server (e.g. the project venv); both are valid
  if (report.serverPath) {
    assert.equal(d.ok, report.missing.length === 0 && !report.error);
  } else {
    assert.equal(d.ok, false);
    assert.deepEqual(report.missing.slice(0, 1), ['fastapi-docs-lsp']);
  }
});

test('launcher --check in useBundled mode finds the bundled copy (after npm run bundle:python)', (t) => {
  const py = python3();
  if (!py || !fs.existsSync(path.join(EXT_ROOT, 'bundled', 'libs', 'fastapi_docs_lsp'))) {
    t.skip('no python >= 3.10 or bundled/ not built');
    return;
  }
  const r = spawnSync(py, ['-I', LAUNCHER, '--check'], { env: { [STRATEGY_ENV]: 'useBundled', PATH: process.env.PATH }, encoding: 'utf8' });
  const report = parseReport(r.stdout);
  assert.ok(report, r.stdout + r.stderr);
  assert.equal(report.bundled, true);
  assert.equal(report.serverPath, path.join(EXT_ROOT, 'bundled', 'libs', 'fastapi_docs_lsp'));
  assert.deepEqual(report.missing, []);
  assert.equal(report.error, null);
  assert.equal(diagnose({ interpreter: py, sourceText: 'x', strategy: 'useBundled', exitCode: 0, stdout: r.stdout, stderr: '' }).ok, true);
});

test('launcher refuses a too-old Python with a clear message (simulated by a fake version)', (t) => {
  const py = python3();
  if (!py) {
    t.skip('no python >= 3.10');
    return;
  }
  // run the launcher's code with MIN_PYTHON raised above the running version
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fdl-launcher-'));
  const copy = path.join(dir, 'launch_server.py');
  fs.writeFileSync(copy, fs.readFileSync(LAUNCHER, 'utf8').replace('MIN_PYTHON = (3, 10)', 'MIN_PYTHON = (9, 0)'));
  const check = spawnSync(py, ['-I', copy, '--check'], { encoding: 'utf8' });
  const report = parseReport(check.stdout);
  assert.ok(report);
  assert.equal(report.versionOk, false);
  assert.equal(report.minPython, '9.0');
  const d = diagnose({ interpreter: py, sourceText: 'found on PATH', strategy: 'useBundled', exitCode: 0, stdout: check.stdout, stderr: '' });
  assert.equal(d.ok, false);
  const serve = spawnSync(py, ['-I', copy], { encoding: 'utf8' });
  assert.equal(serve.status, 3);
  assert.match(serve.stderr, /needs Python 9\.0 or newer/);
  fs.rmSync(dir, { recursive: true, force: true });
});
