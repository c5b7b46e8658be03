// Bundles the three entry points with esbuild: the extension host side, the debug adapter
// (DAP over stdio or --server=PORT) and the language server (LSP over --stdio).
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { commonOptions } from './bundleOptions.mjs';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = commonOptions({ production });

const entries = [
  { entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js' },
  // Loaded by extension.js only when a boot.ini/.vmx/transcript/LoadOrd document is open.
  { entryPoints: ['extension/languageClient.ts'], outfile: 'dist/languageClient.js' },
  { entryPoints: ['adapter/main.ts'], outfile: 'dist/adapter.js' },
  { entryPoints: ['language-server/main.ts'], outfile: 'dist/language-server.js' },
];

/** serialport's bindings-cpp loads its N-API addon through node-gyp-build from `<dir>/prebuilds`;
 *  once bundled, that dir is dist/, so ship the prebuilds for the platforms we support there. */
function copySerialPrebuilds() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('@serialport/bindings-cpp/package.json'));
  } catch {
    return;
  }
  const src = join(pkgDir, 'prebuilds');
  if (!existsSync(src)) return;
  const dst = join('dist', 'prebuilds');
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  for (const plat of ['linux-x64', 'linux-arm64', 'darwin-x64+arm64', 'win32-x64', 'win32-ia32', 'win32-arm64']) {
    const from = join(src, plat);
    if (existsSync(from)) cpSync(from, join(dst, plat), { recursive: true });
  }
}

/** iced-x86 (the disassembler) reads `iced_x86_bg.wasm` from its own __dirname at run time; once
 *  bundled that is dist/, so the wasm file must sit next to the bundles (it is not inlined). */
function copyIcedWasm() {
  const wasm = join(dirname(require.resolve('iced-x86/package.json')), 'iced_x86_bg.wasm');
  mkdirSync('dist', { recursive: true });
  cpSync(wasm, join('dist', 'iced_x86_bg.wasm'));
}

rmSync('dist', { recursive: true, force: true });
copySerialPrebuilds();
copyIcedWasm();
if (watch) {
  for (const e of entries) {
    const ctx = await esbuild.context({ ...common, ...e });
    await ctx.watch();
  }
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
