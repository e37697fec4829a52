/**
 * How the server process is started, and what to tell the user when it cannot be.
 *
 * Every start runs `python/launch_server.py` twice with the same interpreter and environment:
 * first with `--check` (a JSON health report: Python version, server importable, missing
 * dependencies), then for real on stdio. A failed check becomes one notification with the fix.
 */

export type ImportStrategy = 'useBundled' | 'fromEnvironment';
export const IMPORT_STRATEGIES: ImportStrategy[] = ['useBundled', 'fromEnvironment'];
export const STRATEGY_ENV = 'FASTAPI_DOCS_LSP_IMPORT_STRATEGY';
export const SERVER_DIST = 'fastapi-docs-lsp';

export function normalizeStrategy(value: unknown): ImportStrategy {
  return IMPORT_STRATEGIES.includes(value as ImportStrategy) ? (value as ImportStrategy) : 'useBundled';
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export function serverLaunch(opts: {
  interpreter: string;
  launcher: string;
  strategy: ImportStrategy;
  extraArgs?: string[];
  baseEnv?: Record<string, string | undefined>;
}): LaunchSpec {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv ?? {})) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  env[STRATEGY_ENV] = opts.strategy;
  // logs go to stderr -> the output channel; show them as they happen
  env.PYTHONUNBUFFERED = '1';
  return { command: opts.interpreter, args: [opts.launcher, ...(opts.extraArgs ?? [])], env };
}

/** The JSON printed by `launch_server.py --check`. */
export interface CheckReport {
  executable: string;
  python: string;
  minPython: string;
  versionOk: boolean;
  strategy: ImportStrategy;
  bundled: boolean;
  serverVersion: string | null;
  serverPath: string | null;
  missing: string[];
  error: string | null;
}

export interface CheckRun {
  interpreter: string | undefined;
  /** where the interpreter came from, for messages ("from settings", ...) */
  sourceText: string;
  strategy: ImportStrategy;
  /** spawn error (e.g. ENOENT) */
  spawnError?: { code?: string; message: string };
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface Problem {
  /** One sentence: what is wrong. */
  message: string;
  /** What the user should do. */
  fix: string;
  /** Action buttons worth offering besides "Show log". */
  actions: ('selectInterpreter' | 'openSettings' | 'useBundled')[];
}

export type Diagnosis = { ok: true; report: CheckReport } | { ok: false; problem: Problem; report?: CheckReport };

const SET_INTERPRETER = 'select a Python 3.10+ interpreter with "Python: Select Interpreter" or set "fastapi.server.interpreter"';

export function parseReport(stdout: string): CheckReport | undefined {
  // the report is the last line that parses as a JSON object (sitecustomize may print before it)
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (const line of lines.reverse()) {
    try {
      const obj = JSON.parse(line);
      if (obj && typeof obj === 'object' && typeof obj.python === 'string') {
        return obj as CheckReport;
      }
    } catch {
      // not ours
    }
  }
  return undefined;
}

function lastLines(text: string, n = 3): string {
  return text.trim().split(/\r?\n/).slice(-n).join(' | ');
}

export function diagnose(run: CheckRun): Diagnosis {
  if (!run.interpreter) {
    return {
      ok: false,
      problem: {
        message: 'FastAPI Docs: no Python interpreter found (python3 is not on PATH and none is selected).',
        fix: `Install Python 3.10 or newer, or ${SET_INTERPRETER}.`,
        actions: ['selectInterpreter', 'openSettings'],
      },
    };
  }
  if (run.spawnError) {
    const notFound = run.spawnError.code === 'ENOENT';
    return {
      ok: false,
      problem: {
        message: notFound
          ? `FastAPI Docs: the Python interpreter "${run.interpreter}" (${run.sourceText}) does not exist.`
          : `FastAPI Docs: cannot run "${run.interpreter}" (${run.sourceText}): ${run.spawnError.message}.`,
        fix: `Install Python 3.10 or newer, or ${SET_INTERPRETER}.`,
        actions: ['selectInterpreter', 'openSettings'],
      },
    };
  }
  const report = parseReport(run.stdout);
  if (!report) {
    const detail = lastLines(run.stderr) || `exit code ${run.exitCode}`;
    return {
      ok: false,
      problem: {
        message: `FastAPI Docs: "${run.interpreter}" (${run.sourceText}) did not run the server check: ${detail}.`,
        fix: `Check that it is a working Python 3.10+ interpreter, or ${SET_INTERPRETER}.`,
        actions: ['selectInterpreter', 'openSettings'],
      },
    };
  }
  if (!report.versionOk) {
    return {
      ok: false,
      report,
      problem: {
        message: `FastAPI Docs: Python ${report.python} at "${report.executable}" (${run.sourceText}) is too old; the server needs Python ${report.minPython} or newer.`,
        fix: `Install a newer Python, or ${SET_INTERPRETER}.`,
        actions: ['selectInterpreter', 'openSettings'],
      },
    };
  }
  if (report.missing.length > 0 || report.error) {
    const serverMissing = report.missing.includes(SERVER_DIST);
    const what = serverMissing
      ? `the ${SERVER_DIST} server is not installed`
      : report.missing.length > 0
        ? `the server's dependencies ${report.missing.join(', ')} are missing`
        : `the server failed to import (${report.error})`;
    if (run.strategy === 'fromEnvironment') {
      const pkgs = serverMissing ? SERVER_DIST : report.missing.length ? report.missing.join(' ') : SERVER_DIST;
      return {
        ok: false,
        report,
        problem: {
          message: `FastAPI Docs: ${what} in the environment of "${report.executable}".`,
          fix: `Run "${report.executable} -m pip install ${serverMissing || !report.missing.length ? '--upgrade ' : ''}${pkgs}"${serverMissing ? ' (until it is on PyPI: pip install a fastapi-docs-lsp checkout or wheel)' : ''}, or set "fastapi.server.importStrategy" to "useBundled" to use the copy shipped with the extension.`,
          actions: ['useBundled', 'openSettings'],
        },
      };
    }
    return {
      ok: false,
      report,
      problem: {
        message: report.bundled
          ? `FastAPI Docs: the bundled server does not load with "${report.executable}": ${what}.`
          : `FastAPI Docs: this copy of the extension has no bundled server (${what}).`,
        fix: report.bundled
          ? `Reinstall the extension, or install the server into your environment ("${report.executable} -m pip install ${SERVER_DIST}") and set "fastapi.server.importStrategy" to "fromEnvironment".`
          : `Install a .vsix built with "npm run package" (which bundles the server), or install ${SERVER_DIST} into your environment and set "fastapi.server.importStrategy" to "fromEnvironment".`,
        actions: ['openSettings'],
      },
    };
  }
  return { ok: true, report };
}

/** Message for a server that passed the check but then exited during or after start. */
export function crashProblem(interpreter: string, stderrTail: string): Problem {
  return {
    message: `FastAPI Docs: the server stopped unexpectedly (${interpreter})${stderrTail ? `: ${stderrTail}` : ''}.`,
    fix: 'See the log for the traceback; "FastAPI: Restart Server" starts it again.',
    actions: [],
  };
}
