/**
 * How NTLDR and the kernel decide whether an entry boots with the kernel debugger, and the
 * switches the "Add a debugger-enabled entry" fix writes.
 */
import type { BootDbgSettings } from '../languageFeatures';
import type { OsEntry, Switch } from './parser';

/** Switches that configure the kernel debugger (removed from a copy before new ones are added). */
export const DEBUG_SWITCH_NAMES: ReadonlySet<string> = new Set(['DEBUG', 'DEBUGPORT', 'BAUDRATE', 'CHANNEL', 'NODEBUG', 'CRASHDEBUG', 'BREAK', 'TARGETNAME']);

export function canonicalName(sw: Switch): string {
  return sw.canonical;
}

export function hasSwitch(e: OsEntry, name: string, value?: string): boolean {
  return e.switches.some((s) => canonicalName(s) === name && (value === undefined || (s.value ?? '').toUpperCase() === value.toUpperCase()));
}

export function switchValue(e: OsEntry, name: string): string | undefined {
  return e.switches.find((s) => canonicalName(s) === name)?.value;
}

export type DebuggerState = 'off' | 'on' | 'crash-only' | 'disabled-by-nodebug';

/**
 * The option text NTLDR, the kernel and the HAL search: everything after the title, upper-cased.
 * They find options by substring, so this (not the parsed switch list) decides what is on.
 */
export function optionText(e: OsEntry): string {
  let text = OPTION_TEXT.get(e);
  if (text === undefined) {
    text = optionTextOf(e);
    OPTION_TEXT.set(e, text);
  }
  return text;
}

/** Rules ask several times per entry; parsed entries do not change. */
const OPTION_TEXT = new WeakMap<OsEntry, string>();

function optionTextOf(e: OsEntry): string {
  return [...e.switches.map((s) => '/' + s.upper + (s.separator ?? '') + (s.value ?? '').toUpperCase()), ...e.stray.map((s) => s.text.toUpperCase())].join(' ');
}

/**
 * As NTLDR decides it: any option containing DEBUG or BAUDRATE requests the debugger (so
 * /debugport, /baudrate and even a misspelt /debugger do); /NODEBUG turns it off unless
 * /CRASHDEBUG is present; /CRASHDEBUG keeps the port free until a bug check (not live during boot).
 */
export function debuggerState(e: OsEntry): DebuggerState {
  const options = optionText(e);
  if (options.includes('CRASHDEBUG')) return 'crash-only';
  if (options.includes('NODEBUG')) return 'disabled-by-nodebug';
  return options.includes('DEBUG') || options.includes('BAUDRATE') ? 'on' : 'off';
}

/** NTLDR appends "[debugger enabled]" to the menu title when the options contain DEBUG or BAUDRATE. */
export function ntldrShowsDebuggerEnabled(e: OsEntry): boolean {
  const options = optionText(e);
  return options.includes('DEBUG') || options.includes('BAUDRATE');
}

/** The port as a boot.ini /debugport value: COM1..COM4 or 1394; anything else falls back to COM1. */
export function bootIniDebugPort(settings: BootDbgSettings): string {
  const p = String(settings.debugPort ?? '').trim().toLowerCase();
  if (/^com[1-9]$/.test(p) || p === '1394') return p;
  const m = /^(?:\/dev\/ttys|com)?([0-9])$/.exec(p);
  if (m) return `com${Number(m[1]) + (p.startsWith('/dev/ttys') ? 1 : 0)}`;
  return 'com1';
}

export const VALID_BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;

export function debugSwitchesFor(settings: BootDbgSettings): string {
  const port = bootIniDebugPort(settings);
  if (port === '1394') return '/debug /debugport=1394 /channel=1 /break';
  const baud = (VALID_BAUD_RATES as readonly number[]).includes(Number(settings.baudRate)) ? Number(settings.baudRate) : 115200;
  return `/debug /debugport=${port} /baudrate=${baud} /break`;
}
