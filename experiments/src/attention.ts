/**
 * attention: the attention family and Tucker Attention (Klein et al., arXiv 2603.30033).
 * (a) The tiny ViT (width 32, depth 2, 4 heads, 7×7 patches) on the 8,000/2,000 MNIST split,
 *     trained from scratch with MHA, GQA (2 key/value heads), MQA, MLA and Tucker at several
 *     ranks, 3 seeds: test accuracy against attention parameters.
 * (c) The character LM on the Brown text: MHA, GQA and Tucker at the same width; validation
 *     loss against attention parameters and KV-cache size, seconds per step, and a sample.
 * (b) The transfer protocol: each seed's MHA ViT from (a), saved, has every block's attention
 *     turned into the truncated HOSVD of its 𝒲 and 𝒲̃ (`dlrt finetune --adapter tucker`), then
 *     fine-tunes 2 epochs; against Tucker trained from scratch at the same ranks in (a).
 * (d) The ViT at width 64 with 8 heads: MHA and Tucker at ≥ 5× fewer attention parameters,
 *     and the HOSVD error of the trained MHA at those ranks.
 * (e) The same at width 128 with 16 heads, the Tucker ranks scaled with the width.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { linalg, Rng, setBackend, sub, tidy, TuckerTensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  type AttentionSpec, MultiHeadAttention, stackedWeights, TransformerBlock, Vit,
} from '@dlrt/layers';
import {
  finetune, FINETUNE_DEFAULTS, type LMArgs, type LMRecord, savedModel, savedRun, type TrainArgs,
  trainLM,
} from '@dlrt/cli';
import { meanSd, readRun, RESULTS, type Run, runAll, runArgs, runPath } from './runs.js';
import { type GroupSummary, markdownTable, pct, summarize, writeReport } from './summary.js';

export const NAME = 'attention';

const SEEDS = [0, 1, 2];
const VIT: [number, number, number] = [32, 2, 4];

/** The ViT's attentions: [id, spec]. */
const VIT_ATTENTIONS: [string, AttentionSpec][] = [
  ['mha', { kind: 'mha' }], ['gqa-2', { kind: 'gqa', kvHeads: 2 }], ['mqa', { kind: 'mqa' }],
  ['mla-16-16', { kind: 'mla', qLatent: 16, kvLatent: 16 }],
  ...([[4, 16, 16], [2, 8, 8], [2, 6, 6], [2, 4, 4]] as [number, number, number][]).map((r) =>
    [`tucker-${r.join('-')}`, { kind: 'tucker', ranks: r }] as [string, AttentionSpec]),
];

const VIT_BASE: Partial<TrainArgs> = { model: 'vit', vit: VIT, method: 'dense',
  optimizer: 'adam', lr: 1e-3, batch: 128, epochs: 10 };

/**
 * (d) The same ViT twice as wide, 8 heads (d_H 8 as in (a)): does width give Tucker the
 * redundancy it needs? Per block MHA has 16,384 attention parameters; Tucker [2,10,10] 2,992
 * (5.5× fewer), [2,8,8] 2,336 (7.0× fewer).
 */
const WIDE: [number, number, number] = [64, 2, 8];
const WIDE_ATTENTIONS = mhaAndTucker([[2, 10, 10], [2, 8, 8]]);

/**
 * (e) Four times as wide, 16 heads (d_H 8): the ranks of (d) doubled with the width, fixed
 * before any run. Per block MHA has 65,536 attention parameters; Tucker [2,20,20] 11,904 (5.5×
 * fewer), [2,16,16] 9,280 (7.1× fewer).
 */
const WIDER: [number, number, number] = [128, 2, 16];
const WIDER_ATTENTIONS = mhaAndTucker([[2, 20, 20], [2, 16, 16]]);

/** MHA and Tucker at each of `ranks`: [id, spec]. */
function mhaAndTucker(ranks: [number, number, number][]): [string, AttentionSpec][] {
  return [['mha', { kind: 'mha' }], ...ranks.map((r) =>
    [`tucker-${r.join('-')}`, { kind: 'tucker', ranks: r }] as [string, AttentionSpec])];
}

/**
 * The LM's attentions at width 64, 4 heads (d_H 16). Per block, GQA-2 has 12,288 attention
 * parameters; Tucker [2,16,16] 5,136 (42%), [2,10,10] 2,960 (24%), [2,8,8] 2,320 (19%).
 */
const LM_ATTENTIONS: [string, AttentionSpec][] = [
  ['mha', { kind: 'mha' }], ['gqa-2', { kind: 'gqa', kvHeads: 2 }],
  ...([[2, 16, 16], [2, 10, 10], [2, 8, 8]] as [number, number, number][]).map((r) =>
    [`tucker-${r.join('-')}`, { kind: 'tucker', ranks: r }] as [string, AttentionSpec]),
];

const LM_BASE: Omit<LMArgs, 'attention' | 'seed'> = { dim: 64, depth: 2, heads: 4, context: 64,
  batch: 32, steps: 3000, lr: 3e-3, evalEvery: 250, evalWindows: 256, backend: 'auto',
  threads: 1 };

/**
 * Where seed's MHA ViT is saved for the transfer runs and the HOSVD errors (beside the
 * records, not committed); `prefix` 'vit64' or 'vit128' for the wider ones.
 */
const mhaFile = (seed: number, prefix = 'vit') =>
  fileURLToPath(runPath(NAME, `${prefix}-mha-seed${seed}`)).replace(/\.json$/, '.safetensors');

export function runs(seeds: readonly number[] = SEEDS): Run[] {
  const vit = (prefix: string, base: Partial<TrainArgs>, list: [string, AttentionSpec][]) =>
    seeds.flatMap((seed) => list.map(([id, attention]) => ({
      id: `${prefix}-${id}-seed${seed}`, group: `${prefix} ${id}`,
      args: runArgs({ ...base, attention, seed, ...(id === 'mha'
        ? { save: mhaFile(seed, prefix) } : {}) }),
    })));
  return [...vit('vit', VIT_BASE, VIT_ATTENTIONS),
    ...vit('vit64', { ...VIT_BASE, vit: WIDE }, WIDE_ATTENTIONS),
    ...vit('vit128', { ...VIT_BASE, vit: WIDER }, WIDER_ATTENTIONS)];
}

/** The transfer runs: Tucker ranks fine-tuned from each seed's MHA ViT. */
const TRANSFER: [number, number, number][] = [[4, 16, 16], [2, 8, 8], [2, 4, 4]];
const transferId = (r: readonly number[], seed: number) => `transfer-${r.join('-')}-seed${seed}`;

const lmPath = (id: string) => fileURLToPath(runPath(NAME, `lm-${id}`));

function readLM(id: string): LMRecord | null {
  const p = lmPath(id);
  if (!existsSync(p)) return null;
  const rec = JSON.parse(readFileSync(p, 'utf8')) as LMRecord;
  return rec.stepLosses.length >= rec.args.steps && rec.sample.text ? rec : null;
}

/** The ViT runs (resumable per epoch), then every LM run that has no complete record. */
export async function run(seeds: readonly number[] = SEEDS, only?: string): Promise<string[]> {
  const failed = await runAll(NAME, runs(seeds), only);
  mkdirSync(new URL(`runs/${NAME}/`, RESULTS), { recursive: true });
  for (const seed of seeds) {
    for (const ranks of TRANSFER) {
      const id = transferId(ranks, seed);
      const done = readRun(NAME, id);
      if ((only && !id.includes(only)) || (done && done.epochs.length >= 2)) continue;
      if (!existsSync(mhaFile(seed))) {
        throw new Error(`${NAME}: ${mhaFile(seed)} is missing; rerun vit-mha-seed${seed} (delete ` +
          'its record) to save it');
      }
      console.log(`\n== ${NAME}/${id}`);
      await finetune({ ...FINETUNE_DEFAULTS, from: mhaFile(seed), adapter: 'tucker',
        tuckerRanks: ranks, epochs: 2, lr: 1e-3, seed, json: fileURLToPath(runPath(NAME, id)),
        progress: 'none' }, (l) => console.log(l));
    }
  }
  for (const [id, attention] of LM_ATTENTIONS) {
    if ((only && !`lm-${id}`.includes(only)) || readLM(id)) continue;
    console.log(`\n== ${NAME}/lm-${id}`);
    await trainLM({ ...LM_BASE, attention, seed: 0 }, (l) => console.log(l), lmPath(id),
      { checkpoint: lmPath(id).replace(/\.json$/, '.ckpt') });   // resumes after a stop
  }
  return failed;
}

/** The two targets, from the finished runs. */
function claimRows(groups: readonly GroupSummary[],
  lm: readonly (readonly [string, LMRecord | null])[]): string[][] {
  /** The ViT target on the runs of `prefix` (its attentions, its shape). */
  const vitRow = (prefix: string, list: [string, AttentionSpec][], shape = VIT): string[] => {
    const mha = groups.find((g) => g.group === `${prefix} mha`);
    const mhaParams = vitAttentionParameters({ kind: 'mha' }, shape);
    const vit = list.filter(([id, spec]) => id.startsWith('tucker') &&
      mhaParams / vitAttentionParameters(spec, shape) >= 5).flatMap(([id, spec]) => {
      const g = groups.find((x) => x.group === `${prefix} ${id}`);
      return g?.accuracy ? [{ id, acc: g.accuracy, runs: g.runs, planned: g.planned,
        ratio: mhaParams / vitAttentionParameters(spec, shape) }] : [];
    }).sort((a, b) => b.acc.mean - a.acc.mean)[0];
    const what = `ViT ${shape[0]} wide, ${shape[2]} heads: within 1 point of MHA, ≥ 5× fewer ` +
      'attention parameters';
    return mha?.accuracy && vit
      ? [what, `${vit.id} (${vit.ratio.toFixed(1)}× fewer; ${vit.runs} seeds)`,
        `${pct(vit.acc.mean)}% vs MHA ${pct(mha.accuracy.mean)}% ` +
        `(${(100 * (vit.acc.mean - mha.accuracy.mean)).toFixed(2)} points)`,
        // The target is on the mean of every planned seed.
        vit.runs < vit.planned || mha.runs < mha.planned
          ? `not yet (${Math.min(vit.runs, mha.runs)} of ${vit.planned} seeds)`
          : vit.acc.mean >= mha.accuracy.mean - 0.01 ? 'yes' : 'no']
      : [what, '–', 'runs missing', '–'];
  };
  const gqa = lm.find(([id]) => id === 'gqa-2')?.[1];
  const tucker = lm.filter(([id, r]) => id.startsWith('tucker') && r && gqa &&
    r.attentionParameters <= 0.25 * gqa.attentionParameters)
    .map(([id, r]) => ({ id, r: r! }))
    .sort((a, b) => a.r.validation.at(-1)!.loss - b.r.validation.at(-1)!.loss)[0];
  const lmRow = gqa && tucker
    ? (() => {
      const t = tucker.r.validation.at(-1)!.loss;
      const g = gqa.validation.at(-1)!.loss;
      return ['LM: validation loss within 3% of GQA, ≤ 25% of its attention parameters',
        `${tucker.id} (${(100 * tucker.r.attentionParameters / gqa.attentionParameters)
          .toFixed(0)}% of GQA's)`, `${t.toFixed(4)} vs ${g.toFixed(4)} ` +
        `(${(100 * (t / g - 1)).toFixed(2)}%)`, t <= 1.03 * g ? 'yes' : 'no'];
    })()
    : ['LM', '–', 'runs missing', '–'];
  return [vitRow('vit', VIT_ATTENTIONS), vitRow('vit64', WIDE_ATTENTIONS, WIDE),
    vitRow('vit128', WIDER_ATTENTIONS, WIDER), lmRow];
}

/**
 * A wider ViT's section of the report: its shape, and per attention the accuracy, attention
 * parameters, the factor fewer than MHA, and the HOSVD error of its trained MHA at the row's
 * ranks.
 */
async function widerSection(groups: readonly GroupSummary[], seeds: readonly number[],
  prefix: string, shape: [number, number, number], list: [string, AttentionSpec][]):
  Promise<string[]> {
  const ranks = list.flatMap(([, a]) => (a.kind === 'tucker' ? [a.ranks] : []));
  const errors = await hosvdErrors(seeds, ranks, prefix);
  const mha = vitAttentionParameters({ kind: 'mha' }, shape);
  const rows = list.map(([id, spec]) => {
    const g = groups.find((x) => x.group === `${prefix} ${id}`)!;
    const params = vitAttentionParameters(spec, shape);
    const k = spec.kind === 'tucker' ? ranks.findIndex((r) => r === spec.ranks) : -1;
    const e = k >= 0 ? errors[k] : null;
    return [id, `${g.runs}/${g.planned}`,
      g.accuracy ? `${pct(g.accuracy.mean)} ± ${pct(g.accuracy.sd)}` : '–',
      params.toLocaleString('en'), `${(mha / params).toFixed(1)}×`,
      e?.n ? `${pct(e.pre)} / ${pct(e.post)}` : '–',
      g.secondsPerEpoch ? g.secondsPerEpoch.toFixed(1) : '–'];
  });
  return [`Width ${shape[0]}, depth ${shape[1]}, ${shape[2]} heads (d_H ` +
    `${shape[0] / shape[2]}, as in (a)), otherwise as (a). HOSVD error: of the trained ` +
    'MHA\'s 𝒲 / 𝒲̃ at the row\'s ranks, as in (b).', '',
  markdownTable(['attention', 'runs', 'test acc % (mean ± sd)', 'attention params',
    'fewer than MHA', 'HOSVD error 𝒲 / 𝒲̃ %', 's/epoch'], rows), ''];
}

/**
 * How much of each saved MHA ViT's attention the transfer ranks keep: the relative error
 * ‖𝒲 − 𝒲_r‖/‖𝒲‖ of the truncated HOSVD of 𝒲 (pre-softmax, 𝒲[i] = W_iᵠ W_iᴷᵀ) and of 𝒲̃
 * (post-softmax, (W_iⱽ W_iᴼ)ᵀ), averaged over blocks and seeds.
 */
async function hosvdErrors(seeds: readonly number[], ranks: readonly (readonly number[])[] =
  TRANSFER, prefix = 'vit'): Promise<{ pre: number; post: number; n: number }[]> {
  await setBackend('cpu');
  const errs = ranks.map(() => ({ pre: [] as number[], post: [] as number[] }));
  for (const seed of seeds) {
    const path = mhaFile(seed, prefix);
    if (!existsSync(path)) continue;
    const { args, file } = savedRun(path, NAME);
    const model = savedModel(args, file, path);
    const blocks = model.modules().filter((m): m is TransformerBlock =>
      m instanceof TransformerBlock);
    for (const { attention } of blocks) {
      if (!(attention instanceof MultiHeadAttention)) continue;
      for (const which of ['pre', 'post'] as const) {
        tidy(() => {
          const w = stackedWeights(attention, which);
          ranks.forEach((r, i) => {
            const t = TuckerTensor.hosvd(w, [...r]);
            errs[i][which].push(linalg.norm(sub(w, t.toDense())) / linalg.norm(w));
            t.dispose();
          });
        });
      }
    }
    model.dispose();
  }
  const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
  return errs.map((e) => ({ pre: mean(e.pre), post: mean(e.post), n: e.pre.length }));
}

/** Attention parameters of the ViT `shape` (width, depth, heads) with `spec`, all blocks. */
function vitAttentionParameters(spec: AttentionSpec, shape = VIT): number {
  const vit = new Vit({ rng: new Rng(0), dim: shape[0], depth: shape[1], heads: shape[2],
    attention: spec });
  const n = vit.blocks.reduce((s, b) => s + b.attention.attentionParameters, 0);
  vit.dispose();
  return n;
}

export async function report(seeds: readonly number[] = SEEDS): Promise<void> {
  const groups = summarize(NAME, runs(seeds));
  const errors = await hosvdErrors(seeds);
  const vitRows = VIT_ATTENTIONS.map(([id, spec]) => {
    const g = groups.find((x) => x.group === `vit ${id}`)!;
    return [id, `${g.runs}/${g.planned}`,
      g.accuracy ? `${pct(g.accuracy.mean)} ± ${pct(g.accuracy.sd)}` : '–',
      vitAttentionParameters(spec).toLocaleString('en'),
      g.secondsPerEpoch ? g.secondsPerEpoch.toFixed(1) : '–'];
  });
  const transferRows = TRANSFER.map((r) => {
    const accs = seeds.flatMap((seed) => {
      const rec = readRun(NAME, transferId(r, seed));
      return rec && rec.epochs.length >= 2 ? [rec.epochs.at(-1)!.testAccuracy ?? NaN] : [];
    });
    const scratch = groups.find((g) => g.group === `vit tucker-${r.join('-')}`);
    const m = meanSd(accs);
    const e = errors[TRANSFER.indexOf(r)];
    return [`[${r}]`, `${accs.length}/${seeds.length}`,
      accs.length ? `${pct(m.mean)} ± ${pct(m.sd)}` : '–',
      scratch?.accuracy ? `${pct(scratch.accuracy.mean)} ± ${pct(scratch.accuracy.sd)}` : '–',
      e.n ? pct(e.pre) : '–', e.n ? pct(e.post) : '–'];
  });
  const lm = LM_ATTENTIONS.map(([id]) => [id, readLM(id)] as const);
  const lmRows = lm.map(([id, r]) => [id, r ? r.validation.at(-1)!.loss.toFixed(4) : '–',
    r ? r.attentionParameters.toLocaleString('en') : '–',
    r ? (4 * r.kvCachePerToken).toLocaleString('en') : '–',
    r ? (1000 * r.secondsPerStep).toFixed(1) : '–']);
  const samples = lm.filter(([, r]) => r).map(([id, r]) =>
    `- ${id}: ${JSON.stringify(r!.sample.text)}`);
  const claims = claimRows(groups, lm);
  const wide = await widerSection(groups, seeds, 'vit64', WIDE, WIDE_ATTENTIONS);
  const wider = await widerSection(groups, seeds, 'vit128', WIDER, WIDER_ATTENTIONS);
  const md = [
    '# Attention: MHA, GQA, MQA, MLA and Tucker Attention', '',
    `Regenerate with \`pnpm experiment ${NAME}\` (resumable).`, '',
    `## (a) Tiny ViT on the MNIST 8,000/2,000 split`, '',
    `Width ${VIT[0]}, depth ${VIT[1]}, ${VIT[2]} heads, 7×7 patches; Adam lr 1e-3, batch 128, ` +
      `10 epochs; seeds ${seeds.join(', ')}. Attention parameters: all blocks.`, '',
    markdownTable(['attention', 'runs', 'test acc % (mean ± sd)', 'attention params',
      's/epoch'], vitRows), '',
    '## (b) Transfer: HOSVD of the trained MHA ViT, then 2 epochs of fine-tuning', '',
    'HOSVD error: ‖𝒲 − 𝒲_r‖/‖𝒲‖ of the truncated HOSVD at these ranks, for 𝒲 (pre-softmax, ' +
      '𝒲[i] = W_iᵠ W_iᴷᵀ) and 𝒲̃ (post-softmax, (W_iⱽ W_iᴼ)ᵀ) of the trained MHA blocks, ' +
      'before fine-tuning; mean over blocks and seeds.', '',
    markdownTable(['Tucker ranks', 'runs', 'transferred test acc %', 'from scratch (a) %',
      'HOSVD error 𝒲 %', 'HOSVD error 𝒲̃ %'], transferRows), '',
    '## (c) Character LM on the Brown corpus', '',
    `Width ${LM_BASE.dim}, depth ${LM_BASE.depth}, ${LM_BASE.heads} heads, context ` +
      `${LM_BASE.context}, batch ${LM_BASE.batch}, ${LM_BASE.steps} Adam steps (lr ` +
      `${LM_BASE.lr}), RoPE; validation loss on ${LM_BASE.evalWindows} fixed windows.`, '',
    markdownTable(['attention', 'validation loss', 'attention params', 'KV cache bytes/token ' +
      '(f32)', 'ms/step'], lmRows), '', ...samples, '',
    '## (d) The ViT twice as wide', '', ...wide,
    '## (e) The ViT four times as wide', '', ...wider,
    '## The targets', '',
    'ViT: a Tucker Attention within 1 point of MHA\'s mean accuracy with ≥ 5× fewer attention ' +
      'parameters. LM: a Tucker Attention whose validation loss is within 3% of GQA\'s with ' +
      '≤ 25% of its attention parameters. Each row is the best Tucker setting that meets the ' +
      'parameter condition.', '',
    markdownTable(['target', 'setting', 'result', 'met'], claims), '',
    ...groups.flatMap((g) => g.notes),
  ].join('\n');
  writeReport(NAME, md, { groups, lm: Object.fromEntries(lm.map(([id, r]) => [id, r ? {
    validation: r.validation, attentionParameters: r.attentionParameters,
    kvCachePerToken: r.kvCachePerToken, secondsPerStep: r.secondsPerStep,
    sample: r.sample } : null])) });
}
