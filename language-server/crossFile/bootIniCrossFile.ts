/**
 * Hooks the cross-file checks into the boot.ini language: reads the debugger-enabled entries from
 * the boot.ini parser and adds the .vmx / launch-configuration diagnostics and their quick fixes
 * to what the boot.ini rules report.
 */
import type { LanguageFeatures } from '../languageFeatures';
import { canonicalName, debuggerState } from '../bootini/debugSwitches';
import { menuEntries, parseBootIni, type BootIniDocument } from '../bootini/parser';
import { bootIniCrossFileDiagnostics, crossFileCodeActions, type BootIniDebugSetting } from './bootIniVmxCheck';

/** Entries whose debugger is live at boot or on a crash, with their port and baud switches. */
export function bootIniDebugSettings(doc: BootIniDocument): BootIniDebugSetting[] {
  const out: BootIniDebugSetting[] = [];
  for (const e of menuEntries(doc)) {
    if (e.comment || e.switchesOnly) continue;
    const state = debuggerState(e);
    if (state !== 'on' && state !== 'crash-only') continue;
    const port = e.switches.find((s) => canonicalName(s) === 'DEBUGPORT');
    const baud = e.switches.find((s) => canonicalName(s) === 'BAUDRATE');
    const baudValue = baud?.value !== undefined && /^\d+$/.test(baud.value.trim()) ? Number(baud.value.trim()) : undefined;
    out.push({
      lineRange: e.lineRange,
      debugPort: port?.value?.trim(),
      debugPortRange: port?.range,
      baudRate: baudValue,
      baudRateRange: baudValue !== undefined ? baud?.range : undefined,
    });
  }
  return out;
}

/** The boot.ini features plus the cross-file diagnostics and fixes. */
export function withBootIniCrossFile(bootIni: LanguageFeatures): LanguageFeatures {
  return {
    ...bootIni,
    diagnostics(doc) {
      const own = bootIni.diagnostics(doc);
      if (own.some((d) => d.code === 'bootini/not-ntldr')) return own;
      return [...own, ...bootIniCrossFileDiagnostics(doc, bootIniDebugSettings(parseBootIni(doc.text)))];
    },
    codeActions(doc, range, diagnostics) {
      return [...(bootIni.codeActions?.(doc, range, diagnostics) ?? []), ...crossFileCodeActions(doc.uri, diagnostics)];
    },
  };
}
