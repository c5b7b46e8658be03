// `npm start`: build and package the extension, build the demo prefix, then open demo/ in a real
// VS Code with the extension: the desktop `code` CLI (--extensionDevelopmentPath) when there is
// one, otherwise code-server on 127.0.0.1 with the packaged .vsix installed (same setup as the e2e
// suite), printing the URL to open. The KD simulator runs alongside on 127.0.0.1:50001 for the
// windows-kd demo configuration. Runs until Ctrl+C and then stops every process group it started.
//   node scripts/start.mjs [--code-server] [--port=N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { clearInterval, setInterval } from 'node:timers';
import { CODE_SERVER_ENTRY, E2E_DIR, NODE24, REPO_ROOT, setupE2e } from './setup-e2e.mjs';

const args = process.argv.slice(2);
const forceCodeServer = args.includes('--code-server') || process.env.BOOTDBG_CODE_SERVER === '1';
const port = Number(args.find((a) => a.startsWith('--port='))?.slice('--port='.length) ?? process.env.PORT ?? 0);
const DEMO = join(REPO_ROOT, 'demo');
const VSIX = join(REPO_ROOT, 'bootdbg.vsix');
/** A quiet workbench focused on the demo (this folder under .e2e/ is ours to overwrite). */
const START_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
};
const KDSIM_PORT = 50001;
const log = (msg) => console.log(`[start] ${msg}`);

function step(what, cmd, cmdArgs, options = {}) {
  log(what);
  const r = spawnSync(cmd, cmdArgs, { cwd: REPO_ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`[start] ${what} failed (${cmd} ${cmdArgs.join(' ')})`);
    process.exit(1);
  }
}

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Process groups started here (each child leads its own, via setsid); all go on exit. */
const groups = [];
const killGroups = (signal) => {
  for (const pgid of groups) {
    try { process.kill(-pgid, signal); } catch { /* already gone */ }
  }
};
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping …`);
  killGroups('SIGTERM');
  setTimeout(() => killGroups('SIGKILL'), 5000).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

/** Run `cmd` as the leader of its own process group. `main`: when it exits, everything stops. */
function runGroup(cmd, cmdArgs, options, { main = true } = {}) {
  const child = spawn('setsid', [cmd, ...cmdArgs], options);
  groups.push(child.pid);
  child.on('exit', (code, signal) => {
    if (!main) return;
    // Whatever the leader did, leave nothing of any group behind.
    killGroups('SIGKILL');
    process.exit(stopping ? 0 : (code ?? (signal ? 1 : 0)));
  });
  return child;
}

/** The KD simulator (test/kdsim) on the port demo/.vscode/launch.json attaches to. */
function startKdSimulator() {
  const cli = join(REPO_ROOT, 'out', 'test', 'kdsim', 'cli.js');
  if (!existsSync(cli)) {
    log('no out/test/kdsim/cli.js: the windows-kd demo configuration will wait for a target');
    return;
  }
  const sim = runGroup(process.execPath, [cli, '--scenario', 'iscsi-boot', '--tcp', String(KDSIM_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] }, { main: false });
  sim.stdout.setEncoding('utf8');
  sim.stdout.on('data', (text) => {
    if (/^READY /m.test(text)) log(`KD simulator (Windows Server 2003 booting from iSCSI) on tcp:127.0.0.1:${KDSIM_PORT} (process group ${sim.pid})`);
  });
}

step('building and packaging the extension', 'npm', ['run', '--silent', 'package']);
step('building the demo prefix (make -C demo)', 'make', ['-C', DEMO]);
step('compiling the KD simulator the windows-kd demo attaches to', 'npx', ['tsc', '-p', '.']);
startKdSimulator();

const code = forceCodeServer ? undefined : findOnPath('code');
if (code) {
  log(`opening demo/ in ${code} with the extension under development (close the window or press Ctrl+C to stop)`);
  runGroup(code, ['--new-window', '--wait', `--extensionDevelopmentPath=${REPO_ROOT}`, DEMO], { stdio: 'inherit' });
} else {
  setupE2e();
  const home = join(E2E_DIR, 'start');
  const dirs = { userData: join(home, 'user-data'), extensions: join(home, 'extensions'), config: join(home, 'xdg-config'), data: join(home, 'xdg-data') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(START_SETTINGS, null, 2));
  const env = { ...process.env, XDG_CONFIG_HOME: dirs.config, XDG_DATA_HOME: dirs.data, EXTENSIONS_GALLERY: '{}' };
  const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  step('installing bootdbg.vsix into code-server', NODE24, [CODE_SERVER_ENTRY, ...common, '--force', '--install-extension', VSIX], { env });
  const logFile = join(home, 'code-server.log');
  const out = openSync(logFile, 'w');
  // The demo is this repository's own folder: trusting it lets F5 start QEMU straight away.
  const child = runGroup(NODE24, [
    CODE_SERVER_ENTRY, ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', DEMO,
  ], { env, stdio: ['ignore', out, out] });
  const started = Date.now();
  const poll = setInterval(() => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    const url = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(text)?.[1];
    if (url) {
      clearInterval(poll);
      log(`code-server ${child.pid ? `(process group ${child.pid}) ` : ''}is serving the demo workspace.`);
      console.log(`\n    Open ${url}/?folder=${encodeURIComponent(DEMO)}\n`);
      log(`log: ${logFile}; press Ctrl+C to stop.`);
    } else if (Date.now() - started > 60000) {
      clearInterval(poll);
      console.error(`[start] code-server did not start; see ${logFile}`);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 200);
}
