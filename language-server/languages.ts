/**
 * The languages the server knows, routed by LSP languageId. Each language is a LanguageFeatures
 * object of plain functions (language-server/languageFeatures.ts); add one line per language.
 */
import { bootIniFeatures } from './bootini';
import { withBootIniCrossFile } from './crossFile/bootIniCrossFile';
import { vmxFeatures } from './vmx/vmxFeatures';
import { withVmxCrossFile } from './crossFile/vmxBootIniCheck';
import type { LanguageFeatures } from './languageFeatures';
import { loadOrdFeatures } from './loadord/loadOrdFeatures';
import { transcriptFeatures } from './transcript/transcriptFeatures';

export const LANGUAGES: LanguageFeatures[] = [
  withBootIniCrossFile(bootIniFeatures),
  withVmxCrossFile(vmxFeatures),
  transcriptFeatures,
  loadOrdFeatures,
];

export function featuresFor(languageId: string): LanguageFeatures | undefined {
  return LANGUAGES.find((l) => l.languageId === languageId);
}
