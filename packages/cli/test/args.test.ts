// `dlrt` command-line parsing, in process (no spawn). Oracles: the option table itself (every
// string option, every flag in the help), the code's own lists (METHODS, WEIGHT_INITS,
// INIT_GAINS, GPU_MODES), DEFAULTS, and the rules stated in the task: an option that would do
// nothing is an error naming it and what makes it idle; seeds are integers in [0, 2³²).
import t from 'tap';
import { GPU_MODES } from '@dlrt/backend-gpu/modes';
import { INIT_GAINS, METHODS, WEIGHT_INITS } from '@dlrt/layers';
import {
  DEFAULTS, HELP, OPTIONS, parseCommand, parseFinetuneArgs, parseTrainArgs, type TrainArgs,
  USAGE,
} from '../src/index.js';

t.test('an empty value is an error naming the flag, for every option that takes one',
  async (t) => {
    const valued = OPTIONS.filter((o) => o.value !== undefined);
    t.ok(valued.length >= 20, `${valued.length} options take a value`);
    for (const o of valued) {
      const want = new RegExp(`^--${o.flag}: empty value`);
      t.throws(() => parseTrainArgs([`--${o.flag}`, '']), want, `--${o.flag} ''`);
      t.throws(() => parseTrainArgs([`--${o.flag}=`]), want, `--${o.flag}=`);
      t.throws(() => parseTrainArgs([`--${o.flag}`, '  ']), want, `--${o.flag} '  '`);
    }
    t.throws(() => parseTrainArgs(['--hidden', '500,,500']),
      /--hidden: expected a positive integer, got ''/);
  });

t.test('options that would do nothing are errors; defaults and --demo presets are not',
  async (t) => {
    const idle: [string[], RegExp][] = [
      [['--rank', '20'], /^--rank 20: does nothing with --method dense \(the default\)/],
      [['--method', 'dense', '--max-rank', '20'], /^--max-rank 20: .* --method dense:/],
      [['--tol', '0.2'], /^--tol 0.2: does nothing with --method dense/],
      [['--truncation', '2022'], /^--truncation 2022: does nothing with --method dense/],
      [['--method', 'bug-fixed', '--tol', '0.2'],
        /^--tol 0.2: does nothing with --method bug-fixed/],
      [['--method', 'bug-fixed', '--truncation', 'std'],
        /^--truncation std: does nothing with --method bug-fixed/],
      [['--method', 'bug', '--side', 'input'], /^--side input: does nothing with --method bug/],
      [['--method', 'geolora', '--dense-step', 'first'],
        /^--dense-step first: does nothing with --method geolora/],
      [['--method', 'tdlrt-fixed', '--local-steps', '5'],
        /^--local-steps 5: does nothing with --method tdlrt-fixed: tdlrt and tdlrt-1pass only/],
      [['--backend', 'gpu', '--threads', '2'], /^--threads 2: does nothing with --backend gpu/],
      [['--momentum', '0.9'],
        /^--momentum 0.9: does nothing with --optimizer adam \(the default\)/],
      [['--optimizer', 'adam', '--momentum', '0'], /^--momentum 0: .* --optimizer adam:/],
      [['--output-gain', 'linear'], /^--output-gain linear: does nothing with --init uniform/],
      [['--init', 'dlrt-net', '--output-gain', 'relu'], /^--output-gain relu: .* --init dlrt-net/],
      [['--gpu-mode', 'cpu'], /^--gpu-mode cpu: does nothing with --backend auto \(the default\)/],
      [['--backend', 'cpu', '--wasm-build', 'simd'],
        /^--wasm-build simd: does nothing with --backend cpu: wasm only/],
      [['--model', 'lenet5', '--hidden', '100'], /^--hidden 100: does nothing with --model lenet5/],
    ];
    for (const [argv, want] of idle) t.throws(() => parseTrainArgs(argv), want, argv.join(' '));
    const fine: [string[], Partial<TrainArgs>][] = [
      [['--method', 'bug', '--rank', '20', '--tol', '0.2', '--truncation', '2022'],
        { rank: 20, tol: 0.2, truncation: '2022' }],
      [['--method', 'bug-fixed', '--rank', '20', '--max-rank', '30'], { rank: 20, maxRank: 30 }],
      [['--optimizer', 'sgd', '--momentum', '0.9'], { momentum: 0.9 }],
      [['--method', 'abpsi', '--side', 'input', '--dense-step', 'first'],
        { side: 'input', denseStep: 'first' }],
      [['--method', 'tdlrt-1pass', '--local-steps', '10'], { localSteps: 10 }],
      [['--init', 'orthogonal', '--output-gain', 'linear'], { outputGain: 'linear' }],
      [['--backend', 'gpu', '--gpu-mode', 'webasm'], { gpuMode: 'webasm' }],
      [['--wasm-build', 'simd'], { backend: 'auto', wasmBuild: 'simd' }],
      [['--backend', 'wasm', '--wasm-build', 'relaxed'], { wasmBuild: 'relaxed' }],
      // The demo presets rank, tol and momentum; switching the method or optimizer is fine.
      [['--demo', '--method', 'dense'], { method: 'dense', rank: 100 }],
      [['--demo', '--optimizer', 'adam'], { optimizer: 'adam', momentum: 0.9 }],
    ];
    for (const [argv, want] of fine) t.match(parseTrainArgs(argv), want, argv.join(' '));
  });

t.test('--rank and --max-rank: one value, or one per low-rank layer', async (t) => {
  t.match(parseTrainArgs(['--method', 'bug', '--model', 'lenet5', '--rank', '10,20,30']),
    { rank: [10, 20, 30] });
  t.match(parseTrainArgs(['--method', 'bug', '--hidden', '100,50', '--max-rank', '40,20',
    '--rank', '20']), { rank: 20, maxRank: [40, 20] });
  t.throws(() => parseTrainArgs(['--method', 'bug', '--rank', '10,20']),
    /^--rank 10,20: lists 2 values for the 1 low-rank layer of mlp 784-500-10/);
  t.throws(() => parseTrainArgs(['--method', 'bug', '--model', 'lenet5', '--max-rank', '5,5']),
    /^--max-rank 5,5: lists 2 values for the 3 low-rank layers of lenet5/);
  t.throws(() => parseTrainArgs(['--method', 'bug', '--hidden', '100,50', '--rank', '10,30',
    '--max-rank', '20']), /^--max-rank 20: 20 is below --rank 30 at low-rank layer 1/);
  t.throws(() => parseTrainArgs(['--method', 'bug', '--rank', '1.5']),
    /--rank: expected a positive integer, got '1.5'/);
});

t.test('--conv, --width, --core-decay and the Tucker methods', async (t) => {
  t.match(parseTrainArgs(['--model', 'vgg-mini', '--width', '8', '--method', 'tdlrt']),
    { model: 'vgg-mini', width: 8, method: 'tdlrt' });
  t.match(parseTrainArgs(['--model', 'vgg-mini', '--method', 'direct', '--rank', '1,2,2,4,4']),
    { method: 'direct', rank: [1, 2, 2, 4, 4] });
  t.match(parseTrainArgs(['--model', 'lenet5', '--method', 'bug', '--conv', 'tucker',
    '--core-decay', '0.5']), { conv: 'tucker', coreDecay: 0.5 });
  const bad: [string[], RegExp][] = [
    [['--model', 'lenet5', '--method', 'direct', '--conv', 'matrix'],
      /^--method direct: trains the factors of Tucker convolutions; --conv matrix has none/],
    [['--method', 'direct'], /^--method direct: .* an MLP has none/],
    [['--model', 'lenet5', '--conv', 'tucker'], /^--conv tucker: dense training keeps every layer/],
    [['--conv', 'tucker', '--method', 'bug'], /^--conv tucker: does nothing with --model mlp/],
    [['--width', '8'], /^--width 8: does nothing with --model mlp/],
    [['--model', 'lenet5', '--method', 'bug', '--core-decay', '0.5'],
      /^--core-decay 0.5: does nothing without --conv: Tucker convolutions only/],
    [['--model', 'lenet5', '--method', 'tdlrt', '--core-decay', '1.5'],
      /^--core-decay: expected a number in \(0, 1\], got '1.5'/],
    [['--model', 'lenet5', '--method', 'tdlrt-fixed', '--tol', '0.1'],
      /^--tol 0.1: does nothing with --method tdlrt-fixed/],
    [['--model', 'vgg-mini', '--method', 'tdlrt', '--rank', '1,2'],
      /^--rank 1,2: lists 2 values for the 5 low-rank layers of vgg-mini/],
    [['--model', 'lenet5', '--method', 'tdlrt', '--rank', '1,2'],
      /^--rank 1,2: lists 2 values for the 1 low-rank layer of lenet5/],
    [['--conv', 'cp'], /^--conv: expected one of dense\|matrix\|tucker, got 'cp'/],
    [['--method', 'abpsi', '--dense-step', 'third'],
      /^--dense-step: expected one of second\|first, got 'third'/],
    [['--wasm-build', 'fast'], /^--wasm-build: expected one of auto\|simd\|relaxed, got 'fast'/],
    [['--model', 'vgg-mini', '--method', 'tdlrt', '--local-steps', '1'],
      /^--local-steps: expected an integer ≥ 2, got '1'/],
  ];
  for (const [argv, want] of bad) t.throws(() => parseTrainArgs(argv), want, argv.join(' '));
});

t.test('--model vit: --attention and --vit', async (t) => {
  const specs: [string, unknown][] = [['mha', { kind: 'mha' }], ['gqa:2', { kind: 'gqa', kvHeads: 2 }],
    ['mqa', { kind: 'mqa' }], ['mla:8,6', { kind: 'mla', qLatent: 8, kvLatent: 6 }],
    ['tucker:2,16,16', { kind: 'tucker', ranks: [2, 16, 16] }],
    ['tucker:2,16,16/3,16,8', { kind: 'tucker', ranks: [2, 16, 16], postRanks: [3, 16, 8] }]];
  for (const [v, want] of specs) {
    t.same(parseTrainArgs(['--model', 'vit', '--attention', v]).attention, want, v);
  }
  t.same(parseTrainArgs(['--model', 'vit', '--vit', '64,3,8']).vit, [64, 3, 8]);
  const bad: [string[], RegExp][] = [
    [['--model', 'vit', '--attention', 'flash'], /^--attention: expected mha, gqa:G, mqa, mla:Q,C or tucker:R1,R2,R3, got 'flash'/],
    [['--model', 'vit', '--attention', 'tucker:2,16'], /^--attention tucker:2,16: expected 3 numbers after 'tucker:'/],
    [['--model', 'vit', '--attention', 'mha:2'], /^--attention mha:2: mha takes no numbers/],
    [['--model', 'vit', '--vit', '32,2'], /^--vit: expected DIM,DEPTH,HEADS, got '32,2'/],
    [['--attention', 'mha'], /^--attention mha: does nothing with --model mlp/],
    [['--model', 'vit', '--method', 'bug'], /^--method bug: the ViT trains with --method dense/],
  ];
  for (const [argv, want] of bad) t.throws(() => parseTrainArgs(argv), want, argv.join(' '));
});

t.test('dlrt finetune --adapter tucker --tucker-ranks', async (t) => {
  t.same(parseFinetuneArgs(['--from', 'f', '--adapter', 'tucker', '--tucker-ranks', '2,8,8'])
    .tuckerRanks, [2, 8, 8]);
  t.throws(() => parseFinetuneArgs(['--from', 'f', '--adapter', 'tucker']),
    /--adapter tucker: needs --tucker-ranks R1,R2,R3/);
  t.throws(() => parseFinetuneArgs(['--from', 'f', '--adapter', 'lora', '--tucker-ranks', '2,8,8']),
    /--tucker-ranks: does nothing with --adapter lora: tucker only/);
  t.throws(() => parseFinetuneArgs(['--from', 'f', '--adapter', 'tucker', '--tucker-ranks', '2,8']),
    /--tucker-ranks: expected R1,R2,R3, got '2,8'/);
});

t.test('--seed is an integer in [0, 2^32)', async (t) => {
  t.equal(parseTrainArgs(['--seed', '0']).seed, 0);
  t.equal(parseTrainArgs(['--seed', String(2 ** 32 - 1)]).seed, 2 ** 32 - 1);
  for (const bad of [String(2 ** 32), '-1', '1.5', 'seven']) {
    t.throws(() => parseTrainArgs([`--seed=${bad}`]),
      new RegExp(`^--seed: expected an integer in \\[0, 2\\^32\\), got '${bad}'`), bad);
  }
});

t.test('parseCommand: train, help anywhere after train, version, and errors', async (t) => {
  t.same(parseCommand(['train']), { kind: 'train', args: DEFAULTS });
  for (const argv of [['--help'], ['-h'], ['train', '--help'], ['train', '--epochs', '2', '-h']]) {
    t.same(parseCommand(argv), { kind: 'help' }, argv.join(' '));
  }
  t.same(parseCommand(['--version']), { kind: 'version' });
  t.throws(() => parseCommand([]), /no command/);
  t.throws(() => parseCommand(['fit']), /unknown command 'fit'/);
  t.throws(() => parseCommand(['--version', 'train']), /--version: unexpected 'train'/);
});

t.test('the help lists every option with its meaning and default; lists come from the code',
  async (t) => {
    for (const o of OPTIONS) {
      const head = `  --${o.flag}${o.value ? ` ${o.value}` : ''}\n`;
      t.ok(HELP.includes(head), `--${o.flag} in the help`);
      const body = HELP.slice(HELP.indexOf(head) + head.length).split('\n  --')[0]
        .replace(/\s+/g, ' ');
      t.ok(body.includes(o.meaning), `--${o.flag}: its meaning`);
      const d = DEFAULTS[o.key];
      const shown = d === undefined ? o.fallback ?? 'none' : typeof d === 'boolean'
        ? (d ? 'on' : 'off') : Array.isArray(d) ? d.join(',') : String(d);
      t.ok(body.includes(`(default: ${shown})`), `--${o.flag}: default ${shown}`);
      t.ok(USAGE.replace(/\s+/g, ' ').includes(`[--${o.flag}${o.value ? ` ${o.value}` : ''}]`),
        `--${o.flag} in the usage`);
    }
    t.match(HELP, /\n {2}--demo\n/);
    const valueOf = (flag: string) => OPTIONS.find((o) => o.flag === flag)?.value;
    t.equal(valueOf('method'), METHODS.join('|'));
    t.equal(valueOf('init'), WEIGHT_INITS.join('|'));
    t.equal(valueOf('output-gain'), INIT_GAINS.join('|'));
    t.equal(valueOf('gpu-mode'), ['auto', ...GPU_MODES].join('|'));
    t.equal(valueOf('wasm-build'), 'auto|simd|relaxed');
    t.ok(HELP.split('\n').every((l) => l.length <= 100), 'help lines fit in 100 columns');
  });
