/** Locating the transcript fixtures and the shared reference from compiled tests (out/test/unit/…). */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_SETTINGS, type WorkspaceContext } from '../../../language-server/languageFeatures';

export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
export const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'transcripts');
export const referenceDir = path.resolve(repoRoot, '..', 'shared', 'reference');

export function fixture(name: string): string {
  return readFileSync(path.join(fixtureDir, name), 'utf8');
}

export function fixtureUri(name: string): string {
  return pathToFileURL(path.join(fixtureDir, name)).toString();
}

/** A WorkspaceContext over real files: siblings are the files in the same folder. */
export function fileContext(): WorkspaceContext {
  const toPath = (uri: string): string => decodeURIComponent(new URL(uri).pathname);
  return {
    readText(uri) {
      try {
        return readFileSync(toPath(uri), 'utf8');
      } catch {
        return undefined;
      }
    },
    siblings(uri) {
      const dir = path.dirname(toPath(uri));
      return readdirSync(dir).map((f) => pathToFileURL(path.join(dir, f)).toString());
    },
    kdLaunchConfigs: () => [],
    settings: { ...DEFAULT_SETTINGS },
  };
}

export { prng } from '../../support/prng';
