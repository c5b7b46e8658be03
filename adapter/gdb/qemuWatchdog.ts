/**
 * No QEMU outlives its adapter, even a SIGKILLed one (which runs no exit hook): next to every
 * QEMU runs a tiny detached Node process that kills that QEMU once the adapter is gone.
 *
 * The watchdog is an inline `node -e` script (so it works from the bundled dist/adapter.js). It
 * notices the adapter's death two ways: its stdin pipe from the adapter closes (immediate), and
 * a poll every 250 ms (`kill(pid, 0)`). Before killing it checks that the pid is still *that*
 * QEMU: on Linux the process start time from /proc/<pid>/stat must match the one read right
 * after the spawn, so a reused pid is never killed. It exits as soon as QEMU is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Start time of a process (clock ticks since boot, /proc/<pid>/stat field 22), or '' where /proc is missing. */
export function processStartTime(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** argv: adapter pid, adapter start time, QEMU pid, QEMU start time ('' = cannot check). */
export const WATCHDOG_SCRIPT = `
const [adapterPid, adapterStart, qemuPid, qemuStart] = process.argv.slice(1);
const fs = require('fs');
const startOf = (pid) => {
  try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] || ''; }
  catch { return ''; }
};
const alive = (pid, start) => {
  try { process.kill(Number(pid), 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  return start === '' || startOf(pid) === start;
};
const check = () => {
  if (!alive(qemuPid, qemuStart)) process.exit(0);
  if (alive(adapterPid, adapterStart)) return;
  try { process.kill(Number(qemuPid), 'SIGKILL'); } catch {}
  process.exit(0);
};
setInterval(check, 250);
process.stdin.on('end', check);
process.stdin.on('error', check);
process.stdin.resume();
check();
`;

/**
 * Starts the watchdog for a QEMU the current process just spawned. Returns undefined when it
 * cannot start (the adapter's own exit hook and dispose still kill QEMU then).
 */
export function startQemuWatchdog(qemuPid: number, qemuStart = processStartTime(qemuPid)): ChildProcess | undefined {
  try {
    const dog = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, String(process.pid), processStartTime('self'), String(qemuPid), qemuStart], {
      // Own process group: a group kill aimed at the adapter does not take the watchdog with it.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      // Plain node even when the adapter runs inside Electron (VS Code's extension host).
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    // Never keeps the adapter alive.
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return dog;
  } catch {
    return undefined;
  }
}
