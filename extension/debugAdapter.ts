/**
 * Debugging on the VS Code side: runs dist/adapter.js as the debug adapter for both debug types
 * (inline in the extension host or as its own process, per debugger: ADAPTER_HOST_BY_TYPE),
 * refuses to debug in untrusted folders (debugging starts QEMU and opens serial ports), shows the
 * KD link state in the status bar and the adapter's trace in the output channel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

import { adapterHostFor, DEBUG_TYPES } from './adapterHost';

export { DEBUG_TYPES };

export const UNTRUSTED_MESSAGE =
  'BootDbg does not debug in an untrusted folder: debugging starts QEMU and opens serial ports as configured in launch.json. Trust the folder (Manage Workspace Trust) to debug; boot.ini, .vmx and transcript support keep working.';

/** Link state sent by the adapter as the custom event `bootdbg.linkState`. */
interface LinkStateBody {
  state: 'waiting' | 'connected' | 'running' | 'stopped' | 'disconnected';
  detail?: string;
}

const LINK_STATE_TEXT: Record<LinkStateBody['state'], { icon: string; text: string }> = {
  waiting: { icon: '$(sync~spin)', text: 'waiting for target' },
  connected: { icon: '$(plug)', text: 'connected' },
  running: { icon: '$(debug-start)', text: 'target running' },
  stopped: { icon: '$(debug-pause)', text: 'stopped' },
  disconnected: { icon: '$(debug-disconnect)', text: 'disconnected' },
};

/** Which link the status bar speaks of, by debug type. */
const LINK_NAME: Record<string, string> = { 'windows-kd': 'KD', 'gdb-remote': 'QEMU gdbstub' };

/** What dist/adapter.js exports when required (see adapter/main.ts). */
interface AdapterModule {
  createInlineSession(cwd?: string): vscode.DebugAdapter;
}

class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  private adapterModule: AdapterModule | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    if (!vscode.workspace.isTrusted) throw new Error(UNTRUSTED_MESSAGE);
    const adapter = path.join(this.context.extensionPath, 'dist', 'adapter.js');
    const setting = vscode.workspace.getConfiguration('bootdbg').get<string>('debugAdapter.host', 'auto');
    const cwd = session.workspaceFolder?.uri.scheme === 'file' ? session.workspaceFolder.uri.fsPath : undefined;
    if (adapterHostFor(session.type, setting) === 'extensionHost') {
      // Loaded on the first debug session only, so activation does not pay for the adapter bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.adapterModule ??= require(adapter) as AdapterModule;
      return new vscode.DebugAdapterInlineImplementation(this.adapterModule.createInlineSession(cwd));
    }
    // The extension host's own runtime runs the adapter: Electron's (as Node) in desktop VS Code,
    // Node in code-server. A separate process keeps a crash or a hung port away from the editor.
    return new vscode.DebugAdapterExecutable(process.execPath, [adapter], {
      env: { ELECTRON_RUN_AS_NODE: '1' },
      cwd,
    });
  }
}

class TrustGate implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined; // aborts the launch
    }
    return config;
  }
}

export function registerDebugAdapter(context: vscode.ExtensionContext, channel: vscode.OutputChannel): void {
  // One log per debugger, so an RSP trace and a KD trace never interleave.
  const channels = new Map<string, vscode.OutputChannel>();
  const adapterChannel = (type: string): vscode.OutputChannel => {
    let c = channels.get(type);
    if (!c) {
      c = vscode.window.createOutputChannel(`BootDbg: ${type}`);
      channels.set(type, c);
      context.subscriptions.push(c);
    }
    return c;
  };
  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((s) => {
      if ((DEBUG_TYPES as readonly string[]).includes(s.type)) channel.appendLine(`${s.type} session "${s.name}" started`);
    }),
  );
  const factory = new AdapterFactory(context);
  for (const type of DEBUG_TYPES) {
    context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(type, factory));
    context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(type, new TrustGate()));
  }

  const status = vscode.window.createStatusBarItem('bootdbg.linkState', vscode.StatusBarAlignment.Left, 50);
  status.name = 'BootDbg debug link';
  context.subscriptions.push(status);

  context.subscriptions.push(
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (!(DEBUG_TYPES as readonly string[]).includes(e.session.type)) return;
      if (e.event === 'bootdbg.linkState') {
        const body = e.body as LinkStateBody;
        const look = LINK_STATE_TEXT[body.state] ?? LINK_STATE_TEXT.disconnected;
        status.text = `${look.icon} ${LINK_NAME[e.session.type] ?? e.session.type}: ${look.text}${body.detail ? ` (${body.detail})` : ''}`;
        status.tooltip = `BootDbg ${e.session.type} — ${e.session.name}`;
        status.show();
      } else if (e.event === 'bootdbg.log') {
        if (vscode.workspace.getConfiguration('bootdbg').get<boolean>('trace', false)) {
          adapterChannel(e.session.type).appendLine(`[${e.session.name}] ${(e.body as { message: string }).message}`);
        }
      }
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if ((DEBUG_TYPES as readonly string[]).includes(s.type)) status.hide();
    }),
  );
}
