/**
 * VS Code settings (`fastapi.*`) -> the server's settings object.
 *
 * The server's settings (server/fastapi_docs_lsp/settings.py) are mirrored 1:1 under `fastapi.*`
 * in package.json; `fastapi.server.*` and `fastapi.trace.*` belong to the extension only. The same
 * object is sent as `initializationOptions`, in `workspace/didChangeConfiguration` and as the
 * answer to `workspace/configuration` for section `fastapi`.
 */
import { resolveAgainst, substituteVariables, VariableContext } from './paths';

export const SECTION = 'fastapi';
/** Setting groups used only by the extension; never sent to the server. */
export const EXTENSION_ONLY = ['server', 'trace'];
/** Settings whose value is a filesystem path (or a list of them); true: a bare name is a command. */
const PATH_SETTINGS = new Map([
  ['pythonPath', true],
  ['referencePaths', false],
]);

/** `fastapi.hover.enabled` -> `hover.enabled`; undefined for other sections and extension-only keys. */
export function serverKey(fullKey: string): string | undefined {
  if (!fullKey.startsWith(SECTION + '.')) {
    return undefined;
  }
  const key = fullKey.slice(SECTION.length + 1);
  return EXTENSION_ONLY.includes(key.split('.')[0]) ? undefined : key;
}

/** The server setting keys among the contributed configuration keys (package.json). */
export function serverSettingKeys(contributedKeys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const k of contributedKeys) {
    const key = serverKey(k);
    if (key) {
      out.push(key);
    }
  }
  return out.sort();
}

function expandPath(value: unknown, ctx: VariableContext, bareIsCommand: boolean): unknown {
  const one = (v: unknown) =>
    typeof v === 'string' && v ? resolveAgainst(substituteVariables(v, ctx), ctx.workspaceFolder, process.platform, bareIsCommand) : v;
  return Array.isArray(value) ? value.map(one) : one(value);
}

function toJson(value: unknown): unknown {
  // WorkspaceConfiguration values can be proxies; keep plain JSON only
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Builds the nested settings object for the server.
 * @param keys server keys such as `hover.enabled` (see serverSettingKeys)
 * @param get value of `fastapi.<key>` (effective value: default, user, workspace or folder)
 * @param pythonPath the resolved project interpreter; used when `fastapi.pythonPath` is empty
 */
export function buildServerSettings(
  keys: string[],
  get: (key: string) => unknown,
  pythonPath: string | undefined,
  ctx: VariableContext = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    let value = toJson(get(key));
    if (value === undefined || value === null) {
      continue;
    }
    if (PATH_SETTINGS.has(key)) {
      value = expandPath(value, ctx, PATH_SETTINGS.get(key)!);
    }
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      node = (child && typeof child === 'object' ? child : (node[part] = {})) as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  if (!out.pythonPath && pythonPath) {
    out.pythonPath = pythonPath;
  }
  return out;
}

export type ChangeAction = 'restart' | 'reconfigure' | 'none';

/** Settings that change which process runs or which FastAPI it documents: restart the server. */
export const RESTART_SECTIONS = [`${SECTION}.server`, `${SECTION}.pythonPath`];

/**
 * What to do after a configuration change, given VS Code's `affectsConfiguration` and the server
 * keys (serverSettingKeys). `fastapi.trace.server` needs nothing: vscode-languageclient applies it.
 */
export function classifyChange(affects: (section: string) => boolean, keys: string[]): ChangeAction {
  if (RESTART_SECTIONS.some((s) => affects(s))) {
    return 'restart';
  }
  return keys.some((k) => affects(`${SECTION}.${k}`)) ? 'reconfigure' : 'none';
}

/** Which launch-level inputs changed: used to decide whether a restart is really needed. */
export function launchKey(parts: { serverInterpreter?: string; projectInterpreter?: string; strategy: string; args: string[] }): string {
  return JSON.stringify([parts.serverInterpreter ?? '', parts.projectInterpreter ?? '', parts.strategy, parts.args]);
}
