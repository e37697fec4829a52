/**
 * Which Python runs the server, and which Python's FastAPI the server documents.
 *
 * Server interpreter: `fastapi.server.interpreter` setting, else the Python extension's active
 * environment for the workspace (trusted workspaces only), else `python3` (or `python`) on PATH.
 * Project interpreter (sent as `pythonPath`): `fastapi.pythonPath` setting, else the Python
 * extension's active environment (trusted workspaces only), else nothing: the server then finds
 * the project's environment itself (`$VIRTUAL_ENV`, `.venv`/`venv` in the workspace, read
 * statically, never run), so a workspace venv is used even without the Python extension. A
 * `python3` found on PATH is never sent as the project interpreter.
 */

export type InterpreterSource = 'setting' | 'pythonExtension' | 'path' | 'serverDiscovery' | 'none';

export interface ResolvedInterpreter {
  /** Absolute path or command; `undefined` when nothing was found. */
  path: string | undefined;
  source: InterpreterSource;
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

export interface InterpreterInputs {
  /** `fastapi.server.interpreter` after variable substitution ("" when unset). */
  serverSetting?: string;
  /** `fastapi.pythonPath` after variable substitution ("" when unset). */
  projectSetting?: string;
  /** Interpreter of the Python extension's active environment, when that extension is present. */
  pythonExtension?: string;
  /** Looks up python3/python on PATH. */
  lookupOnPath: () => string | undefined;
  /**
   * Whether the workspace is trusted (default true). In an untrusted workspace the Python
   * extension's choice may be a workspace-provided interpreter: it is not used to run anything.
   */
  trusted?: boolean;
}

const fromPythonExtension = (inputs: InterpreterInputs): string | undefined =>
  inputs.trusted === false ? undefined : clean(inputs.pythonExtension);


export function resolveServerInterpreter(inputs: InterpreterInputs): ResolvedInterpreter {
  const setting = clean(inputs.serverSetting);
  if (setting) {
    return { path: setting, source: 'setting' };
  }
  const fromExt = fromPythonExtension(inputs);
  if (fromExt) {
    return { path: fromExt, source: 'pythonExtension' };
  }
  const onPath = clean(inputs.lookupOnPath());
  if (onPath) {
    return { path: onPath, source: 'path' };
  }
  return { path: undefined, source: 'none' };
}

export function resolveProjectInterpreter(inputs: InterpreterInputs): ResolvedInterpreter {
  const setting = clean(inputs.projectSetting);
  if (setting) {
    return { path: setting, source: 'setting' };
  }
  const fromExt = fromPythonExtension(inputs);
  if (fromExt) {
    return { path: fromExt, source: 'pythonExtension' };
  }
  return { path: undefined, source: 'serverDiscovery' };
}

export function describeSource(source: InterpreterSource): string {
  switch (source) {
    case 'setting':
      return 'from settings';
    case 'pythonExtension':
      return 'from the Python extension';
    case 'path':
      return 'found on PATH';
    case 'serverDiscovery':
      return "found by the server: $VIRTUAL_ENV, .venv/venv in the workspace (read, never run), else the server's own";
    case 'none':
      return 'not found';
  }
}

/** Subset of the ms-python.python extension API (`exports.environments`) that we use. */
export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: unknown): { id: string; path: string } | undefined;
  resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: { fsPath: string } } } | undefined>;
  onDidChangeActiveEnvironmentPath?: (listener: (e: unknown) => unknown) => { dispose(): unknown };
}

/** Older API (`exports.settings.getExecutionDetails`), still offered by current versions. */
export interface PythonSettingsApi {
  getExecutionDetails(resource?: unknown): { execCommand: string[] | undefined };
  onDidChangeExecutionDetails?: (listener: (e: unknown) => unknown) => { dispose(): unknown };
}

export interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
  settings?: PythonSettingsApi;
}

/** The interpreter the Python extension has selected for `resource`, or undefined. */
export async function interpreterFromPythonApi(api: PythonExtensionApi | undefined, resource?: unknown): Promise<string | undefined> {
  if (!api) {
    return undefined;
  }
  try {
    if (api.environments) {
      const active = api.environments.getActiveEnvironmentPath(resource);
      if (active) {
        const env = await api.environments.resolveEnvironment(active);
        const exe = env?.executable?.uri?.fsPath;
        if (exe) {
          return exe;
        }
        // unresolvable environments (e.g. deleted venvs) still report their path
        if (active.path && /python[0-9.]*(\.exe)?$/i.test(active.path)) {
          return active.path;
        }
      }
    }
    const cmd = api.settings?.getExecutionDetails(resource)?.execCommand;
    // a multi-part command (e.g. `conda run -n env python`) cannot be used as one interpreter path
    if (cmd && cmd.length === 1 && cmd[0]) {
      return cmd[0];
    }
  } catch {
    return undefined;
  }
  return undefined;
}
