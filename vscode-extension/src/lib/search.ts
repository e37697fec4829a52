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
  fastapiVersion?: string | null;
  starletteVersion?: string | null;
  docsSources?: { kind: string; path?: string; sections?: number }[];
  docsSummary?: string;
  problems?: string[];
}

/** The server answers serverInfo before it has inspected the environment: nothing known yet. */
export function isLoading(info: ServerInfo | undefined): boolean {
  return !!info && !info.interpreter && !info.fastapiVersion && !(info.docsSources ?? []).length;
}

export interface StatusText {
  text: string;
  tooltip: string;
}

export function formatStatus(info: ServerInfo | undefined): StatusText {
  if (!info) {
    return { text: '$(book) FastAPI', tooltip: 'FastAPI Docs: server running. Click to search the FastAPI docs.' };
  }
  if (isLoading(info)) {
    return { text: '$(sync~spin) FastAPI', tooltip: 'FastAPI Docs: loading the FastAPI environment and docs…\n\nClick to search the FastAPI docs.' };
  }
  const sources = info.docsSources ?? [];
  const kinds = [...new Set(sources.map((s) => s.kind).filter(Boolean))];
  const version = info.fastapiVersion ? `FastAPI ${info.fastapiVersion}` : 'FastAPI (not installed)';
  const text = `$(book) ${version}${kinds.length ? ` · ${kinds.join('+')}` : ''}`;
  const lines = [
    info.fastapiVersion ? `FastAPI ${info.fastapiVersion}` : 'FastAPI is not installed in the project interpreter',
    info.starletteVersion ? `Starlette ${info.starletteVersion}` : undefined,
    info.interpreter ? `Project interpreter: ${info.interpreter}` : undefined,
    info.docsSummary ? `Docs: ${info.docsSummary}` : undefined,
    ...sources.map((s) => `  ${s.kind}${s.sections !== undefined ? ` (${s.sections} sections)` : ''}${s.path ? `: ${s.path}` : ''}`),
    ...(info.problems ?? []).map((p) => `⚠ ${p}`),
    info.version ? `fastapi-docs-lsp ${info.version}${info.serverInterpreter ? ` on ${info.serverInterpreter}` : ''}` : undefined,
    '',
    'Click to search the FastAPI docs.',
  ];
  return { text, tooltip: lines.filter((l) => l !== undefined).join('\n') };
}
