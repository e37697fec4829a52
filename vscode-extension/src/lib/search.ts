/** Pure parts of "FastAPI: Search Docs" and the status bar item. */

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

/** One result of the server command `fastapi.searchDocs`. */
export interface SearchHit {
  title: string;
  breadcrumb?: string;
  url: string;
  category?: string;
  score?: number;
  excerpt?: string;
  uri?: string;
  range?: Range;
}

export interface HitItem {
  label: string;
  description?: string;
  detail?: string;
}

const oneLine = (s: string | undefined, max: number): string | undefined => {
  if (!s) {
    return undefined;
  }
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1).trimEnd() + '…' : t;
};

/** QuickPick presentation of a hit: title, then the breadcrumb/category, then the excerpt. */
export function hitToItem(hit: SearchHit): HitItem {
  const where = hit.breadcrumb && hit.breadcrumb !== hit.title ? hit.breadcrumb : hit.category;
  return {
    label: hit.title,
    description: oneLine(where, 80),
    detail: oneLine(hit.excerpt, 160) ?? hit.url,
  };
}

export function isSearchHit(x: unknown): x is SearchHit {
  const h = x as SearchHit;
  return !!h && typeof h === 'object' && typeof h.title === 'string' && typeof h.url === 'string';
}

/** Normalises the server's answer (a list, or null on errors) into hits. */
export function toHits(result: unknown): SearchHit[] {
  return Array.isArray(result) ? result.filter(isSearchHit) : [];
}

export type OpenTarget = { kind: 'browser'; url: string } | { kind: 'editor'; uri: string; range?: Range };

/**
 * Where picking a hit goes: the local file at the section when `openReferencesIn` is "editor"
 * and the hit has one, else the docs URL in the browser.
 */
export function openTarget(hit: SearchHit, openReferencesIn: string | undefined): OpenTarget {
  if (openReferencesIn === 'editor' && hit.uri) {
    return { kind: 'editor', uri: hit.uri, range: hit.range };
  }
  return { kind: 'browser', url: hit.url };
}

/** The answer of `fastapi.serverInfo`. */
export interface ServerInfo {
  version?: string;
  /** the interpreter running the server */
  serverInterpreter?: string;
  /** the project interpreter whose FastAPI is documented; null until the server has loaded it */
  interpreter?: string | null;
  /** the installed FastAPI version (also when its API docs could not be read) */
  fastapiVersion?: string | null;
  starletteVersion?: string | null;
  /** whether the installed FastAPI's API docs (signatures, Doc() texts) are loaded */
  apiLoaded?: boolean;
  /** why the installed FastAPI could not be read, else null */
  apiError?: string | null;
  /** the docs language in use (i18n) */
  docsLanguage?: string;
  docsSources?: { kind: string; path?: string; sections?: number }[];
  docsSummary?: string;
  problems?: string[];
}

/**
 * Still loading: the server answered before it inspected the environment, or it found a FastAPI
 * whose API docs are neither loaded nor failed yet.
 */
export function isLoading(info: ServerInfo | undefined): boolean {
  if (!info) {
    return false;
  }
  if (!info.interpreter && !info.fastapiVersion && !(info.docsSources ?? []).length) {
    return true;
  }
  return !!info.fastapiVersion && info.apiLoaded === false && !info.apiError;
}

/** The installed FastAPI could not be read: the warning to show once, else undefined. */
export function apiWarning(info: ServerInfo | undefined): { key: string; message: string } | undefined {
  if (!info?.apiError) {
    return undefined;
  }
  const what = info.fastapiVersion ? `FastAPI ${info.fastapiVersion}` : 'FastAPI';
  const where = info.interpreter ? ` in ${info.interpreter}` : '';
  return {
    key: `${info.interpreter ?? ''}|${info.fastapiVersion ?? ''}|${info.apiError}`,
    message:
      `FastAPI Docs: could not read the installed ${what}${where}: ${info.apiError}. ` +
      'Hovers and completion show the catalog only (no signatures or parameter docs).',
  };
}

export interface StatusText {
  text: string;
  tooltip: string;
  /** 'warning': the status bar item gets the warning colours */
  severity?: 'warning';
}

export function formatStatus(info: ServerInfo | undefined): StatusText {
  if (!info) {
    return { text: '$(book) FastAPI', tooltip: 'FastAPI Docs: server running. Click to search the FastAPI docs.' };
  }
  const sources = info.docsSources ?? [];
  const kinds = [...new Set(sources.map((s) => s.kind).filter(Boolean))];
  const details = [
    info.starletteVersion ? `Starlette ${info.starletteVersion}` : undefined,
    info.interpreter ? `Project interpreter: ${info.interpreter}` : undefined,
    info.docsLanguage ? `Docs language: ${info.docsLanguage}` : undefined,
    info.docsSummary ? `Docs: ${info.docsSummary}` : undefined,
    ...sources.map((s) => `  ${s.kind}${s.sections !== undefined ? ` (${s.sections} sections)` : ''}${s.path ? `: ${s.path}` : ''}`),
    ...(info.problems ?? []).map((p) => `⚠ ${p}`),
    info.version ? `fastapi-docs-lsp ${info.version}${info.serverInterpreter ? ` on ${info.serverInterpreter}` : ''}` : undefined,
  ];
  const tooltip = (head: string[], tail: string) => [...head, ...details, '', tail].filter((l) => l !== undefined).join('\n');
  if (info.apiError) {
    // never claim a version whose docs are not loaded
    return {
      text: `$(warning) FastAPI${kinds.length ? ` · ${kinds.join('+')}` : ''}`,
      tooltip: tooltip(
        [
          `The installed FastAPI${info.fastapiVersion ? ` ${info.fastapiVersion}` : ''} could not be read: ${info.apiError}`,
          'Hovers and completion show the catalog only.',
        ],
        'Click to show the log.',
      ),
      severity: 'warning',
    };
  }
  if (isLoading(info)) {
    const what = info.fastapiVersion ? `reading the API docs of FastAPI ${info.fastapiVersion}` : 'loading the FastAPI environment and docs';
    return { text: '$(sync~spin) FastAPI', tooltip: `FastAPI Docs: ${what}…\n\nClick to search the FastAPI docs.` };
  }
  const loaded = info.fastapiVersion && info.apiLoaded !== false;
  const version = loaded ? `FastAPI ${info.fastapiVersion}` : info.fastapiVersion ? 'FastAPI' : 'FastAPI (not installed)';
  const head = loaded
    ? `FastAPI ${info.fastapiVersion}`
    : info.fastapiVersion
      ? `FastAPI ${info.fastapiVersion} is installed but its API docs are not loaded`
      : 'FastAPI is not installed in the project interpreter';
  return { text: `$(book) ${version}${kinds.length ? ` · ${kinds.join('+')}` : ''}`, tooltip: tooltip([head], 'Click to search the FastAPI docs.') };
}
