/**
 * `npm start` without a desktop VS Code: it packages the extension, builds the demo, runs the KD
 * simulator the demo's windows-kd configuration attaches to, serves demo/ from code-server on
 * 127.0.0.1 and prints the URL; Ctrl+C (SIGINT) stops it and leaves no process of its groups behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, e2eUnavailable, waitFor } from './harness';

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm start serves the demo workspace from code-server and Ctrl+C leaves nothing behind', { skip: e2eUnavailable() ?? false, timeout: 180000 }, async () => {
  // Without `code` on PATH, exactly as on a machine with no desktop VS Code.
  const start = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.mjs'), '--code-server'], {
    cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  start.stdout.on('data', (c: Buffer) => (output += c.toString()));
  start.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
  let serverGroup = 0;
  let kdGroup = 0;
  try {
    const url = await waitFor(() => /Open (http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)/.exec(output)?.[1], 150000, 'npm start to print the URL')
      .catch((err: Error) => {
        throw new Error(`${err.message}; its output:\n${output}`);
      });
    serverGroup = Number(/code-server \(process group (\d+)\)/.exec(output)?.[1]);
    assert.ok(serverGroup > 0, output);
    // The KD simulator for the windows-kd demo configuration listens where launch.json points.
    kdGroup = Number(/KD simulator .*tcp:127\.0\.0\.1:50001 \(process group (\d+)\)/.exec(output)?.[1]);
    assert.ok(kdGroup > 0, output);
    assert.ok(await canConnect(50001), 'KD simulator on 127.0.0.1:50001');
    assert.equal(decodeURIComponent(new URL(url).searchParams.get('folder') ?? ''), path.join(REPO_ROOT, 'demo'));
    const page = await httpGet(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /workbench/i, 'the VS Code workbench page');

    start.kill('SIGINT');
    assert.equal(await exited, 0, output);
    await waitFor(() => !groupAlive(serverGroup) || undefined, 10000, `code-server's process group ${serverGroup} to be gone`);
    await waitFor(() => !groupAlive(kdGroup) || undefined, 10000, `the KD simulator's process group ${kdGroup} to be gone`);
  } finally {
    if (kdGroup > 0 && groupAlive(kdGroup)) process.kill(-kdGroup, 'SIGKILL');
    if (start.exitCode === null) process.kill(-start.pid!, 'SIGKILL');
    if (serverGroup > 0 && groupAlive(serverGroup)) process.kill(-serverGroup, 'SIGKILL');
  }
});
