/**
 * .vmx rules: each reads the parsed document and returns diagnostics with a stable code and the
 * quick fixes that repair it. Knowledge lives in the tables (vmxKeyData, vmxDevices,
 * vmxHardwareGates); the rules only combine it. Messages say what VMware does with the line and
 * what to write instead. The rules themselves are in vmxLexicalRules, vmxKeyRules and vmxLabRules.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import type { VmxDocument } from './vmxParser';
import { duplicateRule, syntaxRule } from './vmxLexicalRules';
import { deviceIndexRule, guestOsRule, hwVersionRule, ignoredKeyRule, invalidValueRule, memsizeRule, requiresRule, unknownKeyRule } from './vmxKeyRules';
import { iscsiNicSlotRule, serialKdRule } from './vmxLabRules';

export interface VmxRuleInput {
  doc: VmxDocument;
  text: string;
}

export interface VmxRule {
  /** What the rule protects against (for docs and tests). */
  code: string;
  run(input: VmxRuleInput): Diagnostic[];
}

export const VMX_RULES: readonly VmxRule[] = [
  syntaxRule,
  duplicateRule,
  unknownKeyRule,
  deviceIndexRule,
  ignoredKeyRule,
  invalidValueRule,
  memsizeRule,
  guestOsRule,
  iscsiNicSlotRule,
  serialKdRule,
  hwVersionRule,
  requiresRule,
];

export function runVmxRules(input: VmxRuleInput): Diagnostic[] {
  return VMX_RULES.flatMap((r) => r.run(input));
}
