/**
 * The client-side command of the CodeLens agreement: the server's "N tests" lens carries
 * `fastapi.showReferences` with `[uri: string, position: LSP Position, locations: LSP Location[]]`
 * when the client advertises it in `capabilities.experimental.commands.commands`.
 * Pure parsing here; `commands.ts` turns the result into VS Code types for
 * `editor.action.showReferences`.
 */

/** Commands the extension implements itself and advertises to the server. */
export const CLIENT_COMMANDS = ['fastapi.showReferences'] as const;

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export interface LspLocation {
  uri: string;
  range: LspRange;
}
export interface ShowReferencesArgs {
  uri: string;
  position: LspPosition;
  locations: LspLocation[];
}

function isPosition(x: unknown): x is LspPosition {
  const p = x as LspPosition;
  return !!p && typeof p === 'object' && Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0;
}

function isRange(x: unknown): x is LspRange {
  const r = x as LspRange;
  return !!r && typeof r === 'object' && isPosition(r.start) && isPosition(r.end);
}

function asLocation(x: unknown): LspLocation | undefined {
  const l = x as { uri?: unknown; range?: unknown; targetUri?: unknown; targetSelectionRange?: unknown; targetRange?: unknown };
  if (!l || typeof l !== 'object') {
    return undefined;
  }
  if (typeof l.uri === 'string' && isRange(l.range)) {
    return { uri: l.uri, range: l.range };
  }
  // a LocationLink is accepted too
  const range = isRange(l.targetSelectionRange) ? l.targetSelectionRange : isRange(l.targetRange) ? l.targetRange : undefined;
  return typeof l.targetUri === 'string' && range ? { uri: l.targetUri, range } : undefined;
}

/** Validates the command arguments; malformed locations are dropped, a malformed head is an error. */
export function parseShowReferencesArgs(args: unknown[]): ShowReferencesArgs | string {
  const [uri, position, locations] = args;
  if (typeof uri !== 'string' || !uri) {
    return 'fastapi.showReferences: the first argument must be a document URI';
  }
  if (!isPosition(position)) {
    return 'fastapi.showReferences: the second argument must be an LSP Position';
  }
  if (!Array.isArray(locations)) {
    return 'fastapi.showReferences: the third argument must be a list of LSP Locations';
  }
  return { uri, position, locations: locations.map(asLocation).filter((l): l is LspLocation => l !== undefined) };
}
