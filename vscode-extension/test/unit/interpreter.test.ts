import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  interpreterFromPythonApi,
  PythonExtensionApi,
  resolveProjectInterpreter,
  resolveServerInterpreter,
} from '../../src/lib/interpreter';
import { findOnPath, pythonCommandNames, resolveAgainst, substituteVariables } from '../../src/lib/paths';

const noPath = () => undefined;

test('server interpreter: the setting wins over the Python extension and PATH', () => {
  const r = resolveServerInterpreter({ serverSetting: '/opt/py/bin/python', pythonExtension: '/venv/bin/python', lookupOnPath: () => '/usr/bin/python3' });
  assert.deepEqual(r, { path: '/opt/py/bin/python', source: 'setting' });
});

test('server interpreter: the Python extension is used when the setting is empty or blank', () => {
  for (const serverSetting of [undefined, '', '   ']) {
    const r = resolveServerInterpreter({ serverSetting, pythonExtension: '/venv/bin/python', lookupOnPath: () => '/usr/bin/python3' });
    assert.deepEqual(r, { path: '/venv/bin/python', source: 'pythonExtension' });
  }
});

test('server interpreter: PATH is the last resort, and "none" when nothing is found', () => {
  assert.deepEqual(resolveServerInterpreter({ lookupOnPath: () => '/usr/bin/python3' }), { path: '/usr/bin/python3', source: 'path' });
  assert.deepEqual(resolveServerInterpreter({ lookupOnPath: noPath }), { path: undefined, source: 'none' });
});

test('project interpreter: fastapi.pythonPath, else the Python extension, else the server finds it (never PATH)', () => {
  assert.deepEqual(
    resolveProjectInterpreter({ projectSetting: '/proj/.venv/bin/python', pythonExtension: '/venv/bin/python', lookupOnPath: noPath }),
    { path: '/proj/.venv/bin/python', source: 'setting' },
  );
  // the server may run on its own interpreter while the project is the Python extension's
  assert.deepEqual(
    resolveProjectInterpreter({ serverSetting: '/opt/server-py/bin/python', pythonExtension: '/venv/bin/python', lookupOnPath: noPath }),
    { path: '/venv/bin/python', source: 'pythonExtension' },
  );
  // without a setting or the Python extension, python3 on PATH is NOT sent: the server's own
  // discovery (.venv/venv in the workspace) must run
  let looked = false;
  const r = resolveProjectInterpreter({ lookupOnPath: () => ((looked = true), '/usr/bin/python3') });
  assert.deepEqual(r, { path: undefined, source: 'serverDiscovery' });
  assert.equal(looked, false);
});

test('untrusted workspace: the Python extension choice is not used; settings still are', () => {
  const inputs = { pythonExtension: '/ws/.venv/bin/python', lookupOnPath: () => '/usr/bin/python3', trusted: false };
  assert.deepEqual(resolveServerInterpreter(inputs), { path: '/usr/bin/python3', source: 'path' });
  assert.deepEqual(resolveProjectInterpreter(inputs), { path: undefined, source: 'serverDiscovery' });
  // VS Code itself drops workspace values of restricted settings; what reaches us is the user's
  assert.deepEqual(resolveProjectInterpreter({ ...inputs, projectSetting: '/home/u/venv/bin/python' }), {
    path: '/home/u/venv/bin/python',
    source: 'setting',
  });
  assert.deepEqual(resolveServerInterpreter({ ...inputs, trusted: true }), { path: '/ws/.venv/bin/python', source: 'pythonExtension' });
});

test('findOnPath returns the first executable candidate in PATH order', () => {
  const exists = new Set(['/b/python3', '/c/python3', '/a/python']);
  const found = findOnPath(['python3', 'python'], '/a::/b:/c', (f) => exists.has(f), 'linux');
  assert.equal(found, '/b/python3', 'python3 is preferred over python, then PATH order');
  assert.equal(findOnPath(['python3'], '', () => true, 'linux'), undefined);
  assert.equal(findOnPath(['python3'], undefined, () => true, 'linux'), undefined);
});

test('findOnPath uses ; and backslashes on Windows', () => {
  const found = findOnPath(pythonCommandNames('win32'), 'C:\\Py311;C:\\Tools', (f) => f === 'C:\\Tools\\python.exe', 'win32');
  assert.equal(found, 'C:\\Tools\\python.exe');
  assert.deepEqual(pythonCommandNames('linux'), ['python3', 'python']);
});

test('substituteVariables expands workspaceFolder, userHome, env and ~', () => {
  const ctx = { workspaceFolder: '/ws', userHome: '/home/u', env: { VENV: '/envs/a' } };
  assert.equal(substituteVariables('${workspaceFolder}/.venv/bin/python', ctx), '/ws/.venv/bin/python');
  assert.equal(substituteVariables('${userHome}/py', ctx), '/home/u/py');
  assert.equal(substituteVariables('~/py/bin/python', ctx), '/home/u/py/bin/python');
  assert.equal(substituteVariables('${env:VENV}/bin/python', ctx), '/envs/a/bin/python');
  assert.equal(substituteVariables('${env:MISSING}x', ctx), 'x');
  assert.equal(substituteVariables('${workspaceFolder}/p', {}), '${workspaceFolder}/p', 'unknown stays visible');
  assert.equal(substituteVariables('a~b', ctx), 'a~b');
});

test('resolveAgainst anchors relative paths at the workspace folder but not bare commands', () => {
  assert.equal(resolveAgainst('.venv/bin/python', '/ws', 'linux'), '/ws/.venv/bin/python');
  assert.equal(resolveAgainst('python3', '/ws', 'linux'), 'python3');
  assert.equal(resolveAgainst('/abs/python', '/ws', 'linux'), '/abs/python');
  assert.equal(resolveAgainst('.venv/bin/python', undefined, 'linux'), '.venv/bin/python');
});

test('interpreterFromPythonApi uses the environments API and resolves the executable', async () => {
  const seen: unknown[] = [];
  const api: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: (resource) => {
        seen.push(resource);
        return { id: 'venv', path: '/proj/.venv' };
      },
      resolveEnvironment: async (env) => {
        assert.deepEqual(env, { id: 'venv', path: '/proj/.venv' });
        return { executable: { uri: { fsPath: '/proj/.venv/bin/python' } } };
      },
    },
  };
  assert.equal(await interpreterFromPythonApi(api, 'folder-uri'), '/proj/.venv/bin/python');
  assert.deepEqual(seen, ['folder-uri']);
});

test('interpreterFromPythonApi falls back to the execution details API', async () => {
  const api: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => ({ id: 'x', path: '/somewhere/env' }),
      resolveEnvironment: async () => undefined,
    },
    settings: { getExecutionDetails: () => ({ execCommand: ['/conda/bin/python'] }) },
  };
  assert.equal(await interpreterFromPythonApi(api), '/conda/bin/python');
  // an unresolvable environment whose path is an interpreter is still usable
  const api2: PythonExtensionApi = {
    environments: { getActiveEnvironmentPath: () => ({ id: 'x', path: '/gone/bin/python3.12' }), resolveEnvironment: async () => undefined },
  };
  assert.equal(await interpreterFromPythonApi(api2), '/gone/bin/python3.12');
});

test('interpreterFromPythonApi ignores multi-part commands, errors and a missing API', async () => {
  assert.equal(await interpreterFromPythonApi(undefined), undefined);
  assert.equal(await interpreterFromPythonApi({ settings: { getExecutionDetails: () => ({ execCommand: ['conda', 'run', '-n', 'x', 'python'] }) } }), undefined);
  const throwing: PythonExtensionApi = {
    environments: {
      getActiveEnvironmentPath: () => {
        throw new Error('not ready');
      },
      resolveEnvironment: async () => undefined,
    },
  };
  assert.equal(await interpreterFromPythonApi(throwing), undefined);
});

test('resolveAgainst anchors bare names too when they are not commands', () => {
  assert.equal(resolveAgainst('docs', '/ws', 'linux', false), '/ws/docs');
});
