/**
 * Replaying a run record: rerun its first epochs with its own arguments and list every recorded
 * number that comes out differently (`npm run replay`, see replay.ts).
 */
import type { EpochLog } from '@dlrt/layers';
import { DEFAULTS, train, type TrainArgs } from '@dlrt/cli';

/** The fields of an epoch a replay must reproduce. */
export const REPLAYED: readonly (keyof EpochLog)[] = ['loss', 'testLoss', 'testAccuracy',
  'validationLoss', 'validationAccuracy', 'ranks', 'parameters', 'compression'];

/** A recorded value that came out differently. */
export interface Mismatch {
  epoch: number;
  field: string;
  recorded: unknown;
  replayed: unknown;
}

/** What a replay reads of a run record. */
export interface ReplayedRecord {
  args: Partial<TrainArgs>;
  epochs: EpochLog[];
  /** The backend that ran; a wasm run names its kernel build ('simd' or 'relaxed'). */
  backend?: { name: string; flavor?: string };
}

/**
 * The arguments that rerun `record` for `epochs` epochs: its own, and on wasm the kernel
 * build it ran on, since the builds round differently (a record made where relaxed SIMD was
 * off replays on the plain build where it is on).
 */
export function replayArgs(record: ReplayedRecord, epochs: number): TrainArgs {
  const { name, flavor } = record.backend ?? { name: '' };
  const ran = name === 'wasm' && (flavor === 'simd' || flavor === 'relaxed') ? flavor : undefined;
  return { ...DEFAULTS, ...record.args, ...(ran ? { wasmBuild: ran } : {}), epochs,
    json: undefined, progress: 'none' };
}

/**
 * Reruns `epochs` epochs of `record` and returns what differs from it (nothing when the
 * replay is exact). Fields the record lacks (older records) are not compared.
 */
export async function replay(record: ReplayedRecord, epochs: number,
  log: (line: string) => void = () => {}): Promise<Mismatch[]> {
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > record.epochs.length) {
    throw new Error(`replay: epochs must be an integer in [1, ${record.epochs.length}] (the ` +
      `record's epochs), got ${epochs}`);
  }
  const args = replayArgs(record, epochs);
  const history = await train(args, log);
  return history.flatMap((e, i) => REPLAYED.filter((f) => f in record.epochs[i])
    .filter((f) => JSON.stringify(e[f]) !== JSON.stringify(record.epochs[i][f]))
    .map((field) => ({ epoch: e.epoch, field, recorded: record.epochs[i][field],
      replayed: e[field] })));
}
