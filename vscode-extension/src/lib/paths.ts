/** Pure path helpers: PATH lookup and ${variable} substitution in settings. */
import * as path from 'node:path';

export interface VariableContext {
  workspaceFolder?: string;
  userHome?: string;
  env?: Record<string, string | undefined>;
}

/**
 * Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` in a setting value.
 * Unknown variables are left as they are, so the user sees them in error messages.
 */
export function substituteVariables(value: string, ctx: VariableContext): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return ctx.env?.[envName] ?? '';
    }
    if (name === 'workspaceFolder') {
      return ctx.workspaceFolder ?? whole;
    }
    return ctx.userHome ?? whole;
  });
  if (ctx.userHome && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) {
    out = ctx.userHome + out.slice(1);
  }
  return out;
}

/** Makes a relative path absolute against the workspace folder (when there is one). */
export function resolveAgainst(
  p: string,
  workspaceFolder: string | undefined,
  platform: NodeJS.Platform = process.platform,
  bareIsCommand = true,
): string {
  const lib = platform === 'win32' ? path.win32 : path.posix;
  if (!p || lib.isAbsolute(p) || !workspaceFolder) {
    return p;
  }
  // a bare command name such as "python3" is looked up on PATH, not in the folder
  if (bareIsCommand && !p.includes('/') && !p.includes('\\')) {
    return p;
  }
  return lib.join(workspaceFolder, p);
}

/** Python commands to try on PATH, in order. */
export function pythonCommandNames(platform: NodeJS.Platform = process.platform): string[] {
  return platform === 'win32' ? ['python.exe', 'python3.exe'] : ['python3', 'python'];
}

/** First `names` entry found as an executable file in `envPath`, as an absolute path. */
export function findOnPath(
  names: string[],
  envPath: string | undefined,
  isExecutable: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const lib = platform === 'win32' ? path.win32 : path.posix;
  const sep = platform === 'win32' ? ';' : ':';
  const dirs = (envPath ?? '').split(sep).filter((d) => d.length > 0);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = lib.join(dir, name);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
