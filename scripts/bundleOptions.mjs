// esbuild options shared by scripts/build.mjs and the packaging check, so what the check bundles
// resolves native addons exactly like the shipped bundles do.
import { readFile } from 'node:fs/promises';

/** @serialport/bindings-cpp loads its addon with `node-gyp-build(join(__dirname, '../'))`. Bundled,
 *  __dirname is dist/, so that would search the extension root; point it at the bundle's own folder,
 *  where scripts/build.mjs copies the prebuilds (dist/prebuilds/<platform>-<arch>/). */
const BINDINGS_DIR_EXPR = "(0, path_1.join)(__dirname, '../')";
export const serialportPrebuildsNextToBundle = {
  name: 'serialport-prebuilds-next-to-bundle',
  setup(build) {
    build.onLoad({ filter: /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(BINDINGS_DIR_EXPR)) {
        throw new Error(`${args.path}: the node-gyp-build call changed upstream; update scripts/bundleOptions.mjs`);
      }
      return { contents: source.replace(BINDINGS_DIR_EXPR, '__dirname'), loader: 'js' };
    });
  },
};

export function commonOptions({ production }) {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: !production,
    minify: production,
    logLevel: 'info',
    external: ['vscode'],
    plugins: [serialportPrebuildsNextToBundle],
  };
}
