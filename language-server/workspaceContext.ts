/**
 * The server's WorkspaceContext: text of open documents first, then the disk; the files next to a
 * document; `windows-kd` launch configurations from each workspace folder's .vscode/launch.json
 * (JSON with comments and trailing commas, as VS Code writes and accepts it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_SETTINGS, type BootDbgSettings, type KdLaunchConfig, type WorkspaceContext } from './languageFeatures';

/** Files larger than this are not read from disk for cross-file checks. */
const MAX_READ_BYTES = 4 * 1024 * 1024;

export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathToUri(path: string): string {
  return pathToFileURL(path).toString();
}

/** Removes // and /* *\/ comments and trailing commas outside strings, then JSON.parse; undefined on error. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // Trailing commas before } or ] (strings are already intact, so a plain pass is safe enough here
  // only outside strings: redo the scan on the comment-free text).
  let cleaned = '';
  for (let k = 0; k < out.length; k++) {
    const c = out[k];
    if (c === '"') {
      let j = k + 1;
      while (j < out.length && out[j] !== '"') j += out[j] === '\\' ? 2 : 1;
      cleaned += out.slice(k, j + 1);
      k = j;
    } else if (c === ',') {
      let j = k + 1;
      while (j < out.length && /\s/.test(out[j])) j++;
      if (out[j] !== '}' && out[j] !== ']') cleaned += c;
    } else cleaned += c;
  }
  try {
    return JSON.parse(cleaned.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

/** `windows-kd` configurations in a launch.json text. */
export function kdConfigsFromLaunchJson(text: string, uri: string): KdLaunchConfig[] {
  const json = parseJsonc(text) as { configurations?: unknown } | undefined;
  const configs = Array.isArray(json?.configurations) ? (json.configurations as unknown[]) : [];
  const out: KdLaunchConfig[] = [];
  for (const c of configs) {
    if (!c || typeof c !== 'object') continue;
    const r = c as Record<string, unknown>;
    if (r.type !== 'windows-kd') continue;
    const baud = typeof r.baudRate === 'number' ? r.baudRate : typeof r.baudRate === 'string' && /^[0-9]+$/.test(r.baudRate) ? Number(r.baudRate) : undefined;
    out.push({ name: typeof r.name === 'string' ? r.name : '(unnamed)', port: typeof r.port === 'string' ? r.port : undefined, baudRate: baud, uri });
  }
  return out;
}

/** Settings from a `bootdbg` configuration object (workspace/configuration or initializationOptions). */
export function settingsFrom(config: unknown, base: BootDbgSettings = DEFAULT_SETTINGS): BootDbgSettings {
  const s = { ...base };
  if (!config || typeof config !== 'object') return s;
  const c = config as Record<string, unknown>;
  const kd = (c.kd && typeof c.kd === 'object' ? c.kd : {}) as Record<string, unknown>;
  const port = kd.debugPort ?? c['kd.debugPort'] ?? c.debugPort;
  const baud = kd.baudRate ?? c['kd.baudRate'] ?? c.baudRate;
  const redact = c.redactNames ?? kd.redactNames ?? (c.transcript as Record<string, unknown> | undefined)?.redactNames;
  if (typeof port === 'string' && port.trim()) s.debugPort = port.trim();
  if (typeof baud === 'number' && Number.isFinite(baud)) s.baudRate = baud;
  if (typeof baud === 'string' && /^[0-9]+$/.test(baud)) s.baudRate = Number(baud);
  if (typeof redact === 'boolean') s.redactNames = redact;
  return s;
}

export interface OpenDocuments {
  text(uri: string): string | undefined;
}

export class ServerWorkspaceContext implements WorkspaceContext {
  settings: BootDbgSettings = { ...DEFAULT_SETTINGS };
  /** Workspace folder URIs. */
  folders: string[] = [];
  private launchCache = new Map<string, { mtimeMs: number; configs: KdLaunchConfig[] }>();

  constructor(private readonly open: OpenDocuments) {}

  readText(uri: string): string | undefined {
    const openText = this.open.text(uri);
    if (openText !== undefined) return openText;
    const path = uriToPath(uri);
    if (!path) return undefined;
    try {
      if (statSync(path).size > MAX_READ_BYTES) return undefined;
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  siblings(uri: string): string[] {
    const path = uriToPath(uri);
    if (!path) return [];
    const dir = dirname(path);
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => pathToUri(join(dir, d.name)))
        .filter((u) => u !== uri);
    } catch {
      return [];
    }
  }

  kdLaunchConfigs(): KdLaunchConfig[] {
    const out: KdLaunchConfig[] = [];
    for (const folder of this.folders) {
      const dir = uriToPath(folder);
      if (!dir) continue;
      const file = join(dir, '.vscode', 'launch.json');
      const uri = pathToUri(file);
      const openText = this.open.text(uri);
      if (openText !== undefined) {
        out.push(...kdConfigsFromLaunchJson(openText, uri));
        continue;
      }
      try {
        const st = statSync(file);
        const cached = this.launchCache.get(file);
        if (cached && cached.mtimeMs === st.mtimeMs) {
          out.push(...cached.configs);
          continue;
        }
        const configs = kdConfigsFromLaunchJson(readFileSync(file, 'utf8'), uri);
        this.launchCache.set(file, { mtimeMs: st.mtimeMs, configs });
        out.push(...configs);
      } catch {
        this.launchCache.delete(file);
      }
    }
    return out;
  }

  /** Forget cached launch.json contents (on watched-file changes). */
  invalidate(): void {
    this.launchCache.clear();
  }
}
