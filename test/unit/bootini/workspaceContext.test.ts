// The server's WorkspaceContext over real files: open buffers before disk, siblings, windows-kd
// configurations from launch.json written as JSON with comments, settings from either shape.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kdConfigsFromLaunchJson, parseJsonc, pathToUri, ServerWorkspaceContext, settingsFrom } from '../../../language-server/workspaceContext';

const dir = mkdtempSync(join(tmpdir(), 'bootdbg-ctx-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('workspace context', () => {
  it('parses JSON with comments, trailing commas, and comment-like text inside strings', () => {
    const v = parseJsonc('{\n // c\n "a": "http://x/*y*/", /* b */ "b": [1, 2,],\n}') as { a: string; b: number[] };
    assert.equal(v.a, 'http://x/*y*/');
    assert.deepEqual(v.b, [1, 2]);
    assert.equal(parseJsonc('{ broken'), undefined);
  });

  it('finds windows-kd configurations and ignores other types and junk', () => {
    const text = '{"version":"0.2.0","configurations":[{"type":"windows-kd","name":"XP","port":"/tmp/com1","baudRate":"57600"},{"type":"gdb-remote","name":"q"},null,7]}';
    assert.deepEqual(kdConfigsFromLaunchJson(text, 'file:///l.json'), [{ name: 'XP', port: '/tmp/com1', baudRate: 57600, uri: 'file:///l.json' }]);
    assert.deepEqual(kdConfigsFromLaunchJson('not json', 'u'), []);
  });

  it('reads settings from the VS Code section shape and from the flat initializationOptions shape', () => {
    assert.deepEqual(settingsFrom({ kd: { debugPort: 'com2', baudRate: 57600 }, transcript: { redactNames: true } }), { debugPort: 'com2', baudRate: 57600, redactNames: true });
    assert.deepEqual(settingsFrom({ debugPort: '1394', baudRate: 9600, redactNames: false }), { debugPort: '1394', baudRate: 9600, redactNames: false });
    assert.deepEqual(settingsFrom(undefined), { debugPort: 'com1', baudRate: 115200, redactNames: false });
    assert.deepEqual(settingsFrom({ kd: { debugPort: 42, baudRate: 'fast' } }), { debugPort: 'com1', baudRate: 115200, redactNames: false });
  });

  it('prefers open buffers to disk, lists siblings, and re-reads launch.json when it changes', () => {
    mkdirSync(join(dir, '.vscode'));
    writeFileSync(join(dir, 'boot.ini'), 'disk text');
    writeFileSync(join(dir, 'xp.vmx'), 'serial0.present = "TRUE"');
    const launch = join(dir, '.vscode', 'launch.json');
    writeFileSync(launch, '{ "configurations": [ { "type": "windows-kd", "name": "one", "port": "com1" } ] }');
    const open = new Map<string, string>([[pathToUri(join(dir, 'boot.ini')), 'buffer text']]);
    const ctx = new ServerWorkspaceContext({ text: (u) => open.get(u) });
    ctx.folders = [pathToUri(dir)];
    assert.equal(ctx.readText(pathToUri(join(dir, 'boot.ini'))), 'buffer text');
    assert.equal(ctx.readText(pathToUri(join(dir, 'xp.vmx'))), 'serial0.present = "TRUE"');
    assert.equal(ctx.readText(pathToUri(join(dir, 'missing.vmx'))), undefined);
    assert.equal(ctx.readText('untitled:Untitled-1'), undefined);
    assert.deepEqual(ctx.siblings(pathToUri(join(dir, 'boot.ini'))), [pathToUri(join(dir, 'xp.vmx'))]);
    assert.deepEqual(ctx.kdLaunchConfigs().map((c) => c.name), ['one']);
    writeFileSync(launch, '{ "configurations": [ { "type": "windows-kd", "name": "two" } ] }');
    const later = new Date(Date.now() + 5000);
    utimesSync(launch, later, later);
    assert.deepEqual(ctx.kdLaunchConfigs().map((c) => c.name), ['two']);
    // An open launch.json buffer wins over the file.
    open.set(pathToUri(launch), '{ "configurations": [ { "type": "windows-kd", "name": "buffer" }, ] }');
    assert.deepEqual(ctx.kdLaunchConfigs().map((c) => c.name), ['buffer']);
  });
});
