/**
 * Client-side commands. Their ids (`fastapi-docs.*`) differ from the server's executeCommand ids
 * (`fastapi.*`), which vscode-languageclient registers by itself.
 */
import * as vscode from 'vscode';
import { ExecuteCommandRequest, LanguageClient } from 'vscode-languageclient/node';
import { debounce, LatestOnly } from './lib/debounce';
import { LspRange, parseShowReferencesArgs } from './lib/locations';
import { hitToItem, openTarget, SearchHit, toHits } from './lib/search';
import { SECTION } from './lib/settings';
import { ServerManager } from './server';

const SEARCH_DEBOUNCE_MS = 150;
const SEARCH_LIMIT = 30;

interface HitPickItem extends vscode.QuickPickItem {
  hit: SearchHit;
}

export function registerCommands(context: vscode.ExtensionContext, manager: ServerManager): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('fastapi-docs.searchDocs', (initial?: unknown) =>
      searchDocs(manager, typeof initial === 'string' ? initial : undefined),
    ),
    vscode.commands.registerCommand('fastapi-docs.openReference', () => openReference(manager)),
    vscode.commands.registerCommand('fastapi-docs.restart', () => manager.restartByUser()),
    vscode.commands.registerCommand('fastapi-docs.showLog', () => manager.log.show()),
    // client side of the CodeLens agreement ("N tests" -> the references peek view)
    vscode.commands.registerCommand('fastapi.showReferences', (...args: unknown[]) => showReferences(manager, args)),
  );
}

const toRange = (r: LspRange) => new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);

/** `fastapi.showReferences(uri, position, locations)` -> `editor.action.showReferences` with VS Code types. */
async function showReferences(manager: ServerManager, args: unknown[]): Promise<void> {
  const parsed = parseShowReferencesArgs(args);
  if (typeof parsed === 'string') {
    manager.log.warn(parsed);
    return;
  }
  const uri = vscode.Uri.parse(parsed.uri);
  const position = new vscode.Position(parsed.position.line, parsed.position.character);
  const locations = parsed.locations.map((l) => new vscode.Location(vscode.Uri.parse(l.uri), toRange(l.range)));
  await vscode.commands.executeCommand('editor.action.showReferences', uri, position, locations);
}

async function requireClient(manager: ServerManager): Promise<LanguageClient | undefined> {
  const client = manager.running;
  if (client) {
    return client;
  }
  const choice = await vscode.window.showWarningMessage('FastAPI Docs: the language server is not running.', 'Show log', 'Restart Server');
  if (choice === 'Show log') {
    manager.log.show();
  } else if (choice === 'Restart Server') {
    await manager.restartByUser();
  }
  return undefined;
}

function executeServerCommand(client: LanguageClient, command: string, args: unknown[]): Promise<unknown> {
  return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
}

/** "FastAPI: Search Docs": a QuickPick whose items come from `fastapi.searchDocs` as the user types. */
async function searchDocs(manager: ServerManager, initial?: string): Promise<void> {
  const client = await requireClient(manager);
  if (!client) {
    return;
  }
  const qp = vscode.window.createQuickPick<HitPickItem>();
  qp.title = 'FastAPI: Search Docs';
  qp.placeholder = 'Search the FastAPI documentation, e.g. "oauth scopes" or "dependencies with yield"';
  // the server ranks the results; VS Code's own label filter would hide good matches
  qp.matchOnDescription = false;
  qp.matchOnDetail = false;
  const latest = new LatestOnly();

  const search = debounce((query: string) => {
    const ticket = latest.next();
    qp.busy = true;
    executeServerCommand(client, 'fastapi.searchDocs', [{ query, limit: SEARCH_LIMIT }]).then(
      (result) => {
        if (!latest.isLatest(ticket)) {
          return;
        }
        const hits = toHits(result);
        qp.items = hits.map((hit) => ({ ...hitToItem(hit), alwaysShow: true, hit }));
        qp.busy = false;
      },
      (err) => {
        if (latest.isLatest(ticket)) {
          manager.log.warn(`fastapi.searchDocs failed: ${String(err)}`);
          qp.items = [];
          qp.busy = false;
        }
      },
    );
  }, SEARCH_DEBOUNCE_MS);

  qp.onDidChangeValue((value) => {
    if (value.trim()) {
      search(value.trim());
    } else {
      search.cancel();
      latest.next();
      qp.items = [];
      qp.busy = false;
    }
  });
  qp.onDidAccept(() => {
    const picked = qp.selectedItems[0] ?? qp.activeItems[0];
    if (!picked) {
      return;
    }
    qp.hide();
    void openHit(picked.hit);
  });
  qp.onDidHide(() => {
    search.cancel();
    qp.dispose();
  });
  const seed = initial ?? selectedText();
  if (seed) {
    qp.value = seed;
    search(seed);
  }
  qp.show();
}

function selectedText(): string | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty || !editor.selection.isSingleLine) {
    return undefined;
  }
  const text = editor.document.getText(editor.selection).trim();
  return text.length > 0 && text.length <= 80 ? text : undefined;
}

async function openHit(hit: SearchHit): Promise<void> {
  const openIn = vscode.workspace.getConfiguration(SECTION).get<string>('openReferencesIn');
  const target = openTarget(hit, openIn);
  if (target.kind === 'editor') {
    const uri = vscode.Uri.parse(target.uri);
    const selection = target.range
      ? new vscode.Range(target.range.start.line, target.range.start.character, target.range.end.line, target.range.end.character)
      : undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const shown = await vscode.window.showTextDocument(doc, { preview: true, selection });
    if (selection) {
      shown.revealRange(selection, vscode.TextEditorRevealType.AtTop);
    }
    return;
  }
  await vscode.env.openExternal(vscode.Uri.parse(target.url));
}

/** "FastAPI: Open Docs for Symbol at Cursor": the server shows the page (window/showDocument). */
async function openReference(manager: ServerManager): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('FastAPI Docs: put the cursor on a FastAPI symbol in a Python file first.');
    return;
  }
  const client = await requireClient(manager);
  if (!client) {
    return;
  }
  const pos = editor.selection.active;
  const args = [{ uri: client.code2ProtocolConverter.asUri(editor.document.uri), position: { line: pos.line, character: pos.character } }];
  let result: unknown;
  try {
    result = await executeServerCommand(client, 'fastapi.openReference', args);
  } catch (err) {
    manager.log.error(`fastapi.openReference failed: ${String(err)}`);
    void vscode.window.showErrorMessage('FastAPI Docs: opening the documentation failed; see the log.', 'Show log').then((c) => {
      if (c === 'Show log') {
        manager.log.show();
      }
    });
    return;
  }
  if (!result) {
    const word = editor.document.getText(editor.document.getWordRangeAtPosition(pos));
    void vscode.window.showInformationMessage(
      `FastAPI Docs: no FastAPI documentation for ${word ? `"${word}"` : 'the symbol at the cursor'}.`,
      'Search Docs',
    ).then((c) => {
      if (c === 'Search Docs') {
        void vscode.commands.executeCommand('fastapi-docs.searchDocs', word || undefined);
      }
    });
  }
}
