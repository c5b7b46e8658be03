/**
 * Runs the KD target simulator until killed:
 *   node out/test/kdsim/cli.js --scenario iscsi-boot --pty|--tcp PORT|--unix PATH
 *        [--seed N --drop P --corrupt P --duplicate P --baud 115200 --flood-lines N --ack-timeout MS
 *         --no-load-symbols --start-immediately --verbose --trace]
 * Prints one line `READY <devicePath|port|path>` once the debugger can connect; with --verbose it
 * also logs state changes and acknowledged lines to stderr.
 */
import { KdSimOptions } from './kdSimulator';
import { LAYOUTS } from './kdSimImage';
import { resolveScenario, SCENARIO_NAMES, Scenario, ScenarioName } from './kdSimScenarios';
import { listenTcp, listenUnix, openPty, SimHandle } from './kdSimTransports';

interface CliArgs {
  opts: KdSimOptions;
  transport: { kind: 'pty' } | { kind: 'tcp'; port: number } | { kind: 'unix'; path: string };
  verbose: boolean;
  trace: boolean;
}

const USAGE =
  'usage: cli.js --scenario <' + SCENARIO_NAMES.join('|') + '> (--pty | --tcp PORT | --unix PATH)\n' +
  '       [--arch x86|x64] [--seed N] [--drop P] [--corrupt P] [--duplicate P] [--receive-faults] [--baud BAUD]\n' +
  '       [--flood-lines N] [--ack-timeout MS] [--no-load-symbols] [--initial-break] [--start-immediately] [--verbose] [--trace]';

/**
 * `--initial-break`: the named scenario on a target booted with `/break` — every boot stops at
 * nt!DbgBreakPoint (KdInitSystem) once the kernel's own early lines are out, before the first
 * driver runs. E.g. bugcheck-7b with it: break, continue, iSCSI lines, 0x7B.
 */
function withInitialBreak(name: ScenarioName, opts: Partial<KdSimOptions>): Scenario {
  const inner = resolveScenario(name, {
    floodLines: opts.floodLines ?? 1000,
    loadSymbols: opts.loadSymbols ?? true,
    arcNameAddress: LAYOUTS[opts.arch ?? 'x86'].arcNameAddress,
  });
  return {
    name: `${name}+initial-break`,
    *steps(boot) {
      let broke = false;
      for (const step of inner.steps(boot)) {
        const kernelLine = step.kind === 'print' && (step.from ?? 'nt') === 'nt' && !broke;
        if (!broke && !kernelLine) {
          broke = true;
          yield { kind: 'break' };
        }
        yield step;
      }
    },
  };
}

export function parseCliArgs(argv: string[]): CliArgs {
  let scenario: ScenarioName = 'iscsi-boot';
  let transport: CliArgs['transport'] | undefined;
  const faults = { drop: 0, corrupt: 0, duplicate: 0, receive: false };
  const opts: Partial<KdSimOptions> = {};
  let verbose = false;
  let trace = false;
  let initialBreak = false;
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n)) throw new Error(`${flag} needs a number (got ${v ?? 'nothing'})\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--scenario': {
        const s = argv[++i];
        if (!SCENARIO_NAMES.includes(s as ScenarioName)) throw new Error(`unknown scenario '${s}'\n${USAGE}`);
        scenario = s as ScenarioName;
        break;
      }
      case '--pty': transport = { kind: 'pty' }; break;
      case '--tcp': transport = { kind: 'tcp', port: num(a, argv[++i]) }; break;
      case '--unix': {
        const p = argv[++i];
        if (!p) throw new Error(`--unix needs a path\n${USAGE}`);
        transport = { kind: 'unix', path: p };
        break;
      }
      case '--arch': {
        const v = argv[++i];
        if (v !== 'x86' && v !== 'x64') throw new Error(`--arch is x86 or x64 (got ${v ?? 'nothing'})\n${USAGE}`);
        opts.arch = v;
        break;
      }
      case '--seed': opts.seed = num(a, argv[++i]); break;
      case '--drop': faults.drop = num(a, argv[++i]); break;
      case '--corrupt': faults.corrupt = num(a, argv[++i]); break;
      case '--duplicate': faults.duplicate = num(a, argv[++i]); break;
      case '--receive-faults': faults.receive = true; break;
      case '--baud': opts.baudRate = num(a, argv[++i]); break;
      case '--flood-lines': opts.floodLines = num(a, argv[++i]); break;
      case '--ack-timeout': opts.ackTimeoutMs = num(a, argv[++i]); break;
      case '--no-load-symbols': opts.loadSymbols = false; break;
      case '--initial-break': initialBreak = true; break;
      case '--start-immediately': opts.startOnHostConnect = false; break;
      case '--verbose': verbose = true; break;
      case '--trace': trace = true; break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown argument '${a}'\n${USAGE}`);
    }
  }
  if (!transport) throw new Error(`choose one of --pty, --tcp PORT, --unix PATH\n${USAGE}`);
  const anyFault = faults.drop + faults.corrupt + faults.duplicate > 0;
  const scenarioOpt = initialBreak ? withInitialBreak(scenario, opts) : scenario;
  return { opts: { ...opts, scenario: scenarioOpt, ...(anyFault ? { faults } : {}) }, transport, verbose, trace };
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  let handle: SimHandle;
  let where: string;
  const t = args.transport;
  if (t.kind === 'pty') {
    const h = await openPty(args.opts);
    handle = h;
    where = h.devicePath;
  } else if (t.kind === 'tcp') {
    const h = await listenTcp(args.opts, t.port);
    handle = h;
    where = String(h.port);
  } else {
    const h = await listenUnix(args.opts, t.path);
    handle = h;
    where = h.path;
  }
  if (args.verbose) {
    handle.sim.on('stateChange', (s) => process.stderr.write(`[kdsim] state ${JSON.stringify(s)}\n`));
    handle.sim.on('line', (l: string) => process.stderr.write(`[kdsim] line ${l}\n`));
    handle.sim.on('reboot', (n: number) => process.stderr.write(`[kdsim] reboot → boot ${n}\n`));
    handle.sim.on('hostConnected', () => process.stderr.write('[kdsim] host connected\n'));
  }
  if (args.trace) {
    const names: Record<number, string> = { 2: 'MANIPULATE', 3: 'DEBUG_IO', 4: 'ACK', 5: 'RESEND', 6: 'RESET', 7: 'STATE_CHANGE', 11: 'FILE_IO' };
    handle.sim.on('packet', (p: { dir: string; type: number; id: number; length: number; api?: number }) => {
      const api = p.api !== undefined ? ` api 0x${p.api.toString(16)}` : '';
      process.stderr.write(`[kdsim] ${p.dir} ${names[p.type] ?? p.type} id 0x${p.id.toString(16)} ${p.length} B${api}\n`);
    });
  }
  process.stdout.write(`READY ${where}\n`);
  const stop = (): void => {
    void handle.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`kdsim: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  });
}
