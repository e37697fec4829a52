import * as vscode from 'vscode';
import { ServerManager } from './server';
import { registerCommands } from './commands';

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  manager = new ServerManager(context);
  context.subscriptions.push(manager);
  registerCommands(context, manager);
  manager.watchConfiguration();
  await manager.watchPythonExtension();
  // do not block activation on the server start; its failures are reported by the manager
  void manager.restart('extension activated');
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
