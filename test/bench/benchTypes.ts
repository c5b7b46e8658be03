/**
 * Benchmarks are never timed tests: each one measures a value *and* a baseline in the same run
 * (raw protocol floor, gdb, objdump, the serial line's physical limit, splitting text into lines…),
 * and `npm run bench` prints the ratio. Nothing here fails a build.
 *
 * A file `test/bench/<area>.bench.ts` exports `benchmarks: Benchmark[]`; test/bench/run.ts collects them.
 */
export interface BenchResult {
  /** The measured value, in `unit`. */
  value: number;
  /** The baseline measured in the same run, same unit. */
  baseline: number;
  /** Optional note printed after the row (e.g. sample sizes). */
  note?: string;
}

export interface Benchmark {
  /** Stable id, e.g. `gdb.step-roundtrip`. */
  id: string;
  /** What is measured against what, e.g. "DAP step round trip vs raw RSP s+g". */
  what: string;
  /** e.g. `ms`, `KB/s`, `lines/s`. */
  unit: string;
  /** How the ratio value/baseline should read, e.g. "<= 1.3" or ">= 0.9". */
  goal: string;
  /** Skip reason when the machine lacks something (e.g. no QEMU); undefined to run. */
  skip?: () => string | undefined;
  run(): Promise<BenchResult>;
}
