/**
 * Owns the language server: resolves the interpreters, checks the environment, starts/stops the
 * LanguageClient, keeps the settings in sync, drives the status bar and reports failures once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { PythonExtension, PVSC_EXTENSION_ID } from '@vscode/python-extension';
import {
  CloseAction,
  CloseHandlerResult,
  ConfigurationParams,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandlerResult,
  ClientCapabilities,
  ExecuteCommandRequest,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';
import { debounce, Debounced } from './lib/debounce';
import {
  describeSource,
  interpreterFromPythonApi,
  PythonExtensionApi,
  resolveProjectInterpreter,
  resolveServerInterpreter,
  ResolvedInterpreter,
} from './lib/interpreter';
import { CheckReport, crashProblem, diagnose, normalizeStrategy, Problem, serverLaunch } from './lib/launch';
import { findOnPath, pythonCommandNames, resolveAgainst, substituteVariables, VariableContext } from './lib/paths';
import { CLIENT_COMMANDS } from './lib/locations';
import { apiWarning, formatStatus, isLoading, ServerInfo } from './lib/search';
import { buildServerSettings, classifyChange, launchKey, SECTION, serverSettingKeys } from './lib/settings';

const PYTHON_EXTENSION_ID = PVSC_EXTENSION_ID;
const CHECK_TIMEOUT_MS = 30_000;
const RESTART_DEBOUNCE_MS = 500;
const RECONFIGURE_DEBOUNCE_MS = 300;

/** LanguageClient whose own error popups are turned into log lines: the manager reports failures. */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown, _showNotification?: boolean | 'force'): void {
    super.error(message, data, false);
  }
}

/**
 * Advertises the client-side commands (rust-analyzer's `experimental.commands` convention): the
 * server then uses `fastapi.showReferences` for its "N tests" lenses instead of its own command.
 */
class ClientCommandsFeature implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    experimental.commands = { commands: [...CLIENT_COMMANDS] };
    capabilities.experimental = experimental;
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: 'static' };
  }
  clear(): void {}
}

interface LaunchPlan {
  server: ResolvedInterpreter;
  project: ResolvedInterpreter;
  strategy: ReturnType<typeof normalizeStrategy>;
  args: string[];
  folder: vscode.WorkspaceFolder | undefined;
  key: string;
}

export class ServerManager implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private readonly status: vscode.StatusBarItem;
  private client: QuietLanguageClient | undefined;
  private plan: LaunchPlan | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private lastProblem: string | undefined;
  private lastApiWarning: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private pythonListener: vscode.Disposable | undefined;
  private readonly restartSoon: Debounced<[string]>;
  private readonly reconfigureSoon: Debounced<[]>;
  private readonly serverKeys: string[];
  private crashTimes: number[] = [];
  private stderrTail: string[] = [];
  private infoTimer: ReturnType<typeof setTimeout> | undefined;
  info: ServerInfo | undefined;
  report: CheckReport | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('FastAPI Docs', { log: true });
    this.status = vscode.window.createStatusBarItem('fastapi-docs.status', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'FastAPI Docs';
    this.setStatus('starting');
    this.status.show();
    this.serverKeys = serverSettingKeys(contributedKeys(context));
    this.restartSoon = debounce((reason: string) => void this.restart(reason), RESTART_DEBOUNCE_MS);
    this.reconfigureSoon = debounce(() => void this.sendConfiguration(), RECONFIGURE_DEBOUNCE_MS);
  }

  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  // ---------------------------------------------------------------- settings & interpreters

  private folder(): vscode.WorkspaceFolder | undefined {
    const active = vscode.window.activeTextEditor?.document.uri;
    return (active && vscode.workspace.getWorkspaceFolder(active)) || vscode.workspace.workspaceFolders?.[0];
  }

  private variables(folder: vscode.WorkspaceFolder | undefined): VariableContext {
    return { workspaceFolder: folder?.uri.fsPath, userHome: os.homedir(), env: process.env };
  }

  /** The Python extension's API (through @vscode/python-extension), when it is installed. */
  private async pythonApi(): Promise<PythonExtensionApi | undefined> {
    if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) {
      return undefined;
    }
    try {
      return (await PythonExtension.api()) as unknown as PythonExtensionApi;
    } catch (err) {
      this.log.warn(`the Python extension failed to activate: ${String(err)}`);
      return undefined;
    }
  }

  private async resolveInterpreters(scope?: vscode.WorkspaceFolder): Promise<{ server: ResolvedInterpreter; project: ResolvedInterpreter }> {
    const cfg = vscode.workspace.getConfiguration(SECTION, scope?.uri);
    const vars = this.variables(scope);
    const expand = (v: string | undefined) => (v ? resolveAgainst(substituteVariables(v, vars), scope?.uri.fsPath) : '');
    // In an untrusted workspace VS Code hides the workspace values of the restricted settings
    // (package.json: capabilities.untrustedWorkspaces), and the Python extension's choice (which
    // may be the workspace's own .venv) is not run: the server reads that environment statically.
    const trusted = vscode.workspace.isTrusted;
    const inputs = {
      serverSetting: expand(cfg.get<string>('server.interpreter')),
      projectSetting: expand(cfg.get<string>('pythonPath')),
      pythonExtension: trusted ? await interpreterFromPythonApi(await this.pythonApi(), scope?.uri) : undefined,
      lookupOnPath: () => findOnPath(pythonCommandNames(), process.env.PATH, isExecutable),
      trusted,
    };
    return { server: resolveServerInterpreter(inputs), project: resolveProjectInterpreter(inputs) };
  }

  private async makePlan(): Promise<LaunchPlan> {
    const folder = this.folder();
    const cfg = vscode.workspace.getConfiguration(SECTION, folder?.uri);
    const { server, project } = await this.resolveInterpreters(folder);
    const strategy = normalizeStrategy(cfg.get('server.importStrategy'));
    const args = (cfg.get<unknown[]>('server.args') ?? []).filter((a): a is string => typeof a === 'string');
    const key = launchKey({ serverInterpreter: server.path, projectInterpreter: project.path, strategy, args });
    return { server, project, strategy, args, folder, key };
  }

  /** The server settings object for a scope, with `pythonPath` filled in. */
  async settingsFor(scopeUri?: vscode.Uri): Promise<Record<string, unknown>> {
    const folder = scopeUri ? vscode.workspace.getWorkspaceFolder(scopeUri) : this.plan?.folder;
    const cfg = vscode.workspace.getConfiguration(SECTION, scopeUri ?? folder?.uri);
    let pythonPath = this.plan?.project.path;
    if (folder && this.plan && folder.uri.toString() !== this.plan.folder?.uri.toString()) {
      pythonPath = (await this.resolveInterpreters(folder)).project.path;
    }
    return buildServerSettings(this.serverKeys, (k) => cfg.get(k), pythonPath, this.variables(folder));
  }

  private async sendConfiguration(): Promise<void> {
    const client = this.running;
    if (!client) {
      return;
    }
    const settings = await this.settingsFor();
    this.log.info('settings changed; sending workspace/didChangeConfiguration');
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } });
    void this.refreshInfo();
  }

  watchConfiguration(): void {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        const action = classifyChange((s) => e.affectsConfiguration(s), this.serverKeys);
        if (action === 'restart') {
          this.restartSoon('settings changed');
        } else if (action === 'reconfigure') {
          this.reconfigureSoon();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.restartIfPlanChanged('workspace folders changed')),
      vscode.extensions.onDidChange(() => void this.watchPythonExtension()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.restartIfPlanChanged('the workspace is now trusted')),
    );
  }

  /** Restart when the Python extension selects another interpreter (debounced, only if it matters). */
  async watchPythonExtension(): Promise<void> {
    if (this.pythonListener) {
      return;
    }
    const api = await this.pythonApi();
    const onChange = api?.environments?.onDidChangeActiveEnvironmentPath ?? api?.settings?.onDidChangeExecutionDetails;
    if (!api || !onChange) {
      return;
    }
    this.pythonListener = onChange(() => this.restartIfPlanChanged('the Python extension selected another interpreter'));
    if (this.plan) {
      // the extension appeared after we started: its interpreter may differ from the PATH one
      this.restartIfPlanChanged('the Python extension became available');
    }
  }

  private restartIfPlanChanged(reason: string): void {
    void this.makePlan().then((plan) => {
      if (!this.plan || plan.key !== this.plan.key) {
        this.restartSoon(reason);
      }
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stops the running server (if any) and starts it again; calls are serialized. */
  restart(reason: string): Promise<void> {
    this.restartSoon.cancel();
    const next = this.queue.then(async () => {
      this.log.info(`(re)starting the server: ${reason}`);
      await this.stopClient();
      await this.start();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Manual restart from the command palette: forget the last reported problem. */
  restartByUser(): Promise<void> {
    this.lastProblem = undefined;
    this.lastApiWarning = undefined;
    this.crashTimes = [];
    return this.restart('"FastAPI: Restart Server"');
  }

  async stop(): Promise<void> {
    this.restartSoon.cancel();
    this.reconfigureSoon.cancel();
    await this.queue;
    await this.stopClient();
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.info = undefined;
    clearTimeout(this.infoTimer);
    if (client && client.state !== State.Stopped) {
      try {
        await client.stop(5000);
      } catch (err) {
        this.log.warn(`stopping the server: ${String(err)}`);
      }
    }
    await client?.dispose().catch(() => undefined);
  }

  private launcherPath(): string {
    return this.context.asAbsolutePath(path.join('python', 'launch_server.py'));
  }

  private async start(): Promise<void> {
    this.setStatus('starting');
    const plan = await this.makePlan();
    this.plan = plan;
    const interp = plan.server.path;
    this.log.info(
      `server interpreter: ${interp ?? '(none)'} (${describeSource(plan.server.source)}); ` +
        `project interpreter: ${plan.project.path ?? '(not sent)'} (${describeSource(plan.project.source)}); ` +
        `importStrategy: ${plan.strategy}`,
    );
    const launch = interp
      ? serverLaunch({ interpreter: interp, launcher: this.launcherPath(), strategy: plan.strategy, extraArgs: plan.args, baseEnv: process.env })
      : undefined;
    const cwd = plan.folder?.uri.fsPath;

    // 1. health check with the exact command and environment of the real start
    const check = launch ? await runCheck(launch.command, [launch.args[0], '--check'], launch.env, cwd) : undefined;
    const diagnosis = diagnose({
      interpreter: interp,
      sourceText: describeSource(plan.server.source),
      strategy: plan.strategy,
      spawnError: check?.spawnError,
      exitCode: check?.exitCode ?? null,
      stdout: check?.stdout ?? '',
      stderr: check?.stderr ?? '',
    });
    if (check) {
      this.log.info(`server check: ${check.stdout.trim() || '(no output)'}${check.stderr.trim() ? `\n${check.stderr.trim()}` : ''}`);
    }
    if (!diagnosis.ok) {
      this.report = diagnosis.report;
      this.fail(diagnosis.problem);
      return;
    }
    this.report = diagnosis.report;
    this.log.info(`server ${diagnosis.report.serverVersion ?? '?'} from ${diagnosis.report.serverPath} on Python ${diagnosis.report.python}`);

    // 2. the real start
    const spec = launch!;
    const serverOptions: ServerOptions = {
      command: spec.command,
      args: spec.args,
      transport: TransportKind.stdio,
      options: { env: spec.env, cwd },
    };
    const initializationOptions = await this.settingsFor();
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.clientChannel(),
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions,
      initializationFailedHandler: (error) => {
        this.fail(crashProblem(spec.command, `initialize failed: ${String((error as Error)?.message ?? error)}`));
        return false;
      },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
        closed: (): CloseHandlerResult => this.onClosed(spec.command),
      },
      middleware: {
        workspace: {
          configuration: (params, token, next) => this.answerConfiguration(params, token, next),
        },
      },
    };
    const client = new QuietLanguageClient('fastapi', 'FastAPI Docs', serverOptions, clientOptions);
    client.registerFeature(new ClientCommandsFeature());
    this.client = client;
    this.stderrTail = [];
    try {
      await client.start();
    } catch (err) {
      if (this.client === client) {
        this.fail(crashProblem(spec.command, this.lastStderr() || String((err as Error)?.message ?? err)));
      }
      return;
    }
    this.lastProblem = undefined;
    this.log.info('server started');
    await this.refreshInfo();
  }

  private onClosed(command: string): CloseHandlerResult {
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < 3 * 60_000), now];
    if (this.crashTimes.length <= 3) {
      this.log.warn(`the server exited; restarting (${this.crashTimes.length}/3 within 3 minutes)`);
      this.setStatus('starting');
      return { action: CloseAction.Restart, handled: true };
    }
    this.fail(crashProblem(command, this.lastStderr()));
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  /** The log channel as given to the client: remembers the server's last stderr lines. */
  private clientChannel(): vscode.OutputChannel {
    const record = (text: string) => {
      const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      this.stderrTail = [...this.stderrTail, ...lines].slice(-20);
    };
    return new Proxy(this.log, {
      get: (target, prop) => {
        if (prop === 'append') {
          // stderr chunks: one log entry per line, without the blank entries of trailing newlines
          return (value: string) => {
            record(value);
            for (const line of value.split(/\r?\n/)) {
              if (line.trim()) {
                target.appendLine(line);
              }
            }
          };
        }
        if (prop === 'dispose') {
          return () => undefined; // the manager owns the channel
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private lastStderr(): string {
    return this.stderrTail.slice(-2).join(' | ');
  }

  private async answerConfiguration(
    params: ConfigurationParams,
    token: vscode.CancellationToken,
    next: (params: ConfigurationParams, token: vscode.CancellationToken) => unknown,
  ): Promise<unknown[]> {
    const defaults = (await next(params, token)) as unknown[];
    return Promise.all(
      params.items.map(async (item, i) => {
        if (item.section !== SECTION && !item.section?.startsWith(SECTION + '.')) {
          return Array.isArray(defaults) ? defaults[i] : null;
        }
        const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
        let value: unknown = await this.settingsFor(scope);
        for (const part of item.section.split('.').slice(1)) {
          value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
        }
        return value ?? null;
      }),
    );
  }

  /** Asks the server for its status; while it is still loading, asks again with backoff. */
  async refreshInfo(attempt = 0): Promise<void> {
    const client = this.running;
    if (!client) {
      return;
    }
    clearTimeout(this.infoTimer);
    try {
      this.info = (await client.sendRequest(ExecuteCommandRequest.type, { command: 'fastapi.serverInfo', arguments: [] })) as ServerInfo;
    } catch (err) {
      this.log.warn(`fastapi.serverInfo failed: ${String(err)}`);
      this.info = undefined;
    }
    if (this.client !== client) {
      return;
    }
    this.setStatus('running');
    this.warnIfApiFailed();
    if (isLoading(this.info) && attempt < 12) {
      this.infoTimer = setTimeout(() => void this.refreshInfo(attempt + 1), Math.min(500 * 2 ** attempt, 10_000));
    }
  }

  // ---------------------------------------------------------------- reporting

  /** The installed FastAPI could not be read: one warning notification per distinct failure. */
  private warnIfApiFailed(): void {
    const warning = apiWarning(this.info);
    if (!warning) {
      return;
    }
    if (this.lastApiWarning === warning.key) {
      return;
    }
    this.lastApiWarning = warning.key;
    this.log.warn(warning.message);
    void vscode.window.showWarningMessage(warning.message, 'Show log').then((choice) => {
      if (choice === 'Show log') {
        this.log.show();
      }
    });
  }

  private setStatus(state: 'starting' | 'running' | 'failed', problem?: Problem): void {
    if (state === 'starting') {
      this.status.text = '$(sync~spin) FastAPI';
      this.status.tooltip = 'FastAPI Docs: starting the server…';
      this.status.command = 'fastapi-docs.showLog';
      this.status.backgroundColor = undefined;
    } else if (state === 'running') {
      const s = formatStatus(this.info);
      this.status.text = s.text;
      this.status.tooltip = s.tooltip;
      const warn = s.severity === 'warning';
      this.status.command = warn ? 'fastapi-docs.showLog' : 'fastapi-docs.searchDocs';
      this.status.backgroundColor = warn ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      this.status.text = '$(error) FastAPI';
      this.status.tooltip = `${problem?.message ?? 'FastAPI Docs: the server is not running.'}\n${problem?.fix ?? ''}\n\nClick to show the log.`;
      this.status.command = 'fastapi-docs.showLog';
      this.status.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    }
  }

  /** Logs the problem, marks the status bar and shows one notification (not repeated). */
  private fail(problem: Problem): void {
    this.log.error(`${problem.message} Fix: ${problem.fix}`);
    this.setStatus('failed', problem);
    const key = problem.message;
    if (this.lastProblem === key) {
      return;
    }
    this.lastProblem = key;
    const buttons: string[] = ['Show log'];
    const pythonExt = !!vscode.extensions.getExtension(PYTHON_EXTENSION_ID);
    if (problem.actions.includes('selectInterpreter') && pythonExt) {
      buttons.push('Select Interpreter');
    } else if (problem.actions.includes('useBundled')) {
      buttons.push('Use bundled server');
    } else if (problem.actions.includes('openSettings')) {
      buttons.push('Open Settings');
    }
    void vscode.window.showErrorMessage(`${problem.message} Fix: ${problem.fix}`, ...buttons).then((choice) => {
      if (choice === 'Show log') {
        this.log.show();
      } else if (choice === 'Select Interpreter') {
        void vscode.commands.executeCommand('python.setInterpreter');
      } else if (choice === 'Use bundled server') {
        void vscode.workspace.getConfiguration(SECTION).update('server.importStrategy', 'useBundled', vscode.ConfigurationTarget.Global);
      } else if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server`);
      }
    });
  }

  dispose(): void {
    clearTimeout(this.infoTimer);
    this.restartSoon.cancel();
    this.reconfigureSoon.cancel();
    this.pythonListener?.dispose();
    for (const d of this.disposables) {
      d.dispose();
    }
    this.status.dispose();
    this.log.dispose();
  }
}

function contributedKeys(context: vscode.ExtensionContext): string[] {
  const conf = context.extension.packageJSON?.contributes?.configuration;
  const groups: { properties?: Record<string, unknown> }[] = Array.isArray(conf) ? conf : conf ? [conf] : [];
  return groups.flatMap((g) => Object.keys(g.properties ?? {}));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

interface CheckResult {
  spawnError?: { code?: string; message: string };
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

function runCheck(command: string, args: string[], env: Record<string, string>, cwd: string | undefined): Promise<CheckResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd, timeout: CHECK_TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (err && typeof err.code === 'string') {
        // spawn failure (ENOENT, EACCES): the interpreter itself could not run
        resolve({ spawnError: { code: err.code, message: err.message }, exitCode: null, stdout: String(stdout), stderr: String(stderr) });
        return;
      }
      resolve({ exitCode: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
