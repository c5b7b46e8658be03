/**
 * launch.json help: configurations offered from what is in the folder (an image or ELF →
 * `gdb-remote`; serial ports → `windows-kd`), a default for F5 without a launch.json, and the
 * `${command:bootdbg.pickSerialPort}` serial-port picker.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Boot images by extension → the `media` QEMU boots them as. */
const IMAGE_MEDIA: Record<string, string> = {
  '.img': 'floppy',
  '.dsk': 'floppy',
  '.fd': 'floppy',
  '.hdd': 'disk',
  '.usb': 'disk',
  '.iso': 'cdrom',
  '.lkrn': 'kernel',
  '.pxe': 'pxe',
  '.kpxe': 'pxe',
  '.rom': 'rom',
};

const IMAGE_GLOB = `**/*{${Object.keys(IMAGE_MEDIA).join(',')}}`;
const MAX_FILES = 20;

export interface PortChoice {
  path: string;
  label: string;
  detail?: string;
}

/** Serial ports with friendly names; empty when the native binding cannot load (the picker then offers manual entry). */
export async function listSerialPorts(): Promise<PortChoice[]> {
  try {
    const { SerialPort } = await import('serialport');
    const ports = await SerialPort.list();
    return ports.map((p) => {
      const info = p as typeof p & { friendlyName?: string };
      const name = info.friendlyName ?? [p.manufacturer, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined].filter(Boolean).join(' ');
      return { path: p.path, label: p.path, detail: name || p.pnpId || undefined };
    });
  } catch {
    return [];
  }
}

async function pickSerialPort(): Promise<string | undefined> {
  const ports = await listSerialPorts();
  type Item = vscode.QuickPickItem & { value?: string };
  const items: Item[] = ports.map((p) => ({ label: p.label, description: p.detail, value: p.path }));
  items.push(
    { label: 'TCP…', description: 'a VM serial port on tcp:HOST:PORT (e.g. QEMU -serial tcp:127.0.0.1:5555,server,nowait)', value: 'tcp:' },
    { label: 'Named pipe or socket…', description: 'VMware/Hyper-V \\\\.\\pipe\\name, or a Unix socket path', value: '' },
  );
  const choice = await vscode.window.showQuickPick(items, {
    title: 'BootDbg: serial port of the Windows target',
    placeHolder: ports.length ? 'Select the port the null-modem cable or VM serial port is on' : 'No serial ports found: enter a TCP address, pipe or socket',
  });
  if (!choice) return undefined;
  if (choice.value && choice.value !== 'tcp:') return choice.value;
  return vscode.window.showInputBox({
    title: 'BootDbg: debug port',
    value: choice.value === 'tcp:' ? 'tcp:127.0.0.1:5555' : '',
    prompt: 'COM1, /dev/ttyS0, tcp:HOST:PORT, \\\\.\\pipe\\name or a Unix socket path',
  });
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly type: 'gdb-remote' | 'windows-kd') {}

  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    return this.type === 'gdb-remote' ? gdbConfigurationsFor(folder) : kdConfigurations();
  }

  /** F5 with no launch.json: guess from the open file and the folder. */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (config.type || config.request || config.name) return config;
    const offered = await this.provideDebugConfigurations(folder);
    if (offered.length === 0) {
      void vscode.window.showInformationMessage(
        this.type === 'gdb-remote'
          ? 'BootDbg found no boot image (.img, .dsk, .lkrn, .iso, …) in this folder: add a launch.json with "image" and "media".'
          : 'BootDbg needs the target\'s debug port: add a launch.json with "port".',
      );
      return undefined;
    }
    return offered[0];
  }
}

async function gdbConfigurationsFor(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
  // VS Code also asks once without a folder (user scope): the folders' own answers already cover them.
  if (!folder && vscode.workspace.workspaceFolders?.length) return [];
  const include = folder ? new vscode.RelativePattern(folder, IMAGE_GLOB) : IMAGE_GLOB;
  const images = await vscode.workspace.findFiles(include, '**/node_modules/**', MAX_FILES);
  const elves = await vscode.workspace.findFiles(folder ? new vscode.RelativePattern(folder, '**/*.{elf,tmp}') : '**/*.{elf,tmp}', '**/node_modules/**', MAX_FILES);
  const rel = (u: vscode.Uri) => (folder ? '${workspaceFolder}/' + path.relative(folder.uri.fsPath, u.fsPath).split(path.sep).join('/') : u.fsPath);
  const configs: vscode.DebugConfiguration[] = [];
  for (const img of images) {
    const media = IMAGE_MEDIA[path.extname(img.fsPath).toLowerCase()];
    // An ELF next to the image with the same stem carries its symbols (make's usual layout).
    const stem = img.fsPath.slice(0, -path.extname(img.fsPath).length);
    const elf = elves.find((e) => e.fsPath.startsWith(stem + '.') || path.dirname(e.fsPath) === path.dirname(img.fsPath));
    const c: vscode.DebugConfiguration = {
      type: 'gdb-remote',
      request: 'launch',
      name: `QEMU: ${path.basename(img.fsPath)}`,
      image: rel(img),
      media,
      stopOnEntry: false,
    };
    if (elf) c.program = rel(elf);
    configs.push(c);
  }
  return configs;
}

async function kdConfigurations(): Promise<vscode.DebugConfiguration[]> {
  const ports = await listSerialPorts();
  const configs: vscode.DebugConfiguration[] = ports.map((p) => ({
    type: 'windows-kd',
    request: 'attach',
    name: `KD: ${p.path}${p.detail ? ` (${p.detail})` : ''}`,
    port: p.path,
    baudRate: 115200,
  }));
  configs.push({ type: 'windows-kd', request: 'attach', name: 'KD: VM serial port on TCP 5555', port: 'tcp:127.0.0.1:5555' });
  return configs;
}

export function registerDebugConfigurations(context: vscode.ExtensionContext): void {
  for (const type of ['gdb-remote', 'windows-kd'] as const) {
    const provider = new ConfigurationProvider(type);
    context.subscriptions.push(
      vscode.debug.registerDebugConfigurationProvider(type, provider, vscode.DebugConfigurationProviderTriggerKind.Initial),
      vscode.debug.registerDebugConfigurationProvider(type, provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    );
  }
  context.subscriptions.push(vscode.commands.registerCommand('bootdbg.pickSerialPort', pickSerialPort));
}
