// The dlrt command: argument errors (exit 2, naming the flag), an unknown backend or an
// unwritable --json path (exit 1, naming it), ranks above a layer's cap (exit 2, naming the
// layer and the cap ⌊min(n, m)/2⌋), --help and --version (exit 0; the version is
// package.json's), and short real runs whose output format the README promises.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import {
  DEFAULTS, evalFile, finetune, HELP, parseEvalArgs, parseFinetuneArgs, parseTrainArgs, train,
} from '../src/index.js';

// The command runs from its sources, as the tests do (see .taprc), so an unbuilt edit is tested.
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const dlrt = (...args: string[]) => spawnSync(process.execPath,
  ['--import=tsx', '--conditions=dlrt-source', main, ...args], { encoding: 'utf8' });

t.test('parseTrainArgs: defaults, flags, and errors that name the flag', async (t) => {
  t.same(parseTrainArgs([]), DEFAULTS);
  const a = parseTrainArgs(['--model', 'mlp', '--epochs', '3', '--lr', '0.05', '--optimizer',
    'sgd', '--hidden', '100,50', '--threads', '2', '--seed', '7']);
  t.match(a, { model: 'mlp', epochs: 3, lr: 0.05, optimizer: 'sgd', hidden: [100, 50],
    threads: 2, seed: 7 });
  t.equal(parseTrainArgs(['--model', 'lenet5']).model, 'lenet5');
  t.throws(() => parseTrainArgs(['--epochs', '0']), /--epochs: expected a positive integer, got '0'/);
  t.throws(() => parseTrainArgs(['--model', 'vgg']), /--model: expected one of mlp\|lenet5\|vgg-mini\|vit, got 'vgg'/);
  t.throws(() => parseTrainArgs(['--lr', 'fast']), /--lr: expected a positive number/);
  t.throws(() => parseTrainArgs(['--bogus']), /bogus/);
});

t.test('usage errors exit 2; an unknown backend exits 1 naming it', async (t) => {
  const r = dlrt('train', '--batch', '-3');
  t.equal(r.status, 2);
  t.match(r.stderr, /usage: dlrt train/);
  const b = dlrt('train', '--backend', 'quantum', '--epochs', '1');
  t.equal(b.status, 1);
  t.match(b.stderr, /unknown backend 'quantum' \(registered: cpu\)/);
});

t.test('a one-epoch run prints a line per epoch and the final test accuracy', async (t) => {
  const dir = t.testdir({});
  const r = dlrt('train', '--epochs', '1', '--hidden', '32', '--batch', '200', '--json',
    `${dir}/run.json`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /epoch 1\/1 {2}loss \d\.\d{4} {2}test loss \d\.\d{4} {2}test acc \d+\.\d\d%/);
  const acc = Number(/test accuracy: ([\d.]+)%/.exec(r.stdout)?.[1]);
  t.ok(acc > 80, `test accuracy ${acc}% after one epoch`);
  const json = JSON.parse(readFileSync(`${dir}/run.json`, 'utf8'));
  t.equal(json.epochs.length, 1);
  t.equal(json.args.hidden[0], 32);
  t.notOk('json' in json.args, 'the record holds no path of the machine that wrote it');
  t.match(json.command, /^dlrt train --epochs 1 /, 'and the command that reruns it');
  // --backend auto (the default) is wasm here: Node 20 validates WebAssembly SIMD128.
  t.match(json.backend, { name: 'wasm', threads: 1 }, 'the record names the backend that ran');
  t.match(r.stdout, /backend auto \(wasm (simd|relaxed), 1 thread\)/);
});

t.test('without WebAssembly SIMD: auto falls back to cpu with a notice, wasm is an error',
  async (t) => {
    // A runtime without SIMD128, simulated: WebAssembly.validate refuses every module.
    const noSimd = 'data:text/javascript,WebAssembly.validate=()=>false';
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import=tsx',
      '--conditions=dlrt-source', `--import=${noSimd}`, main, 'train', '--epochs', '1',
      '--hidden', '8', '--batch', '500', ...args], { encoding: 'utf8' });
    const auto = run();
    t.equal(auto.status, 0, auto.stderr);
    t.match(auto.stderr, /^dlrt: --backend auto: wasm unavailable \(wasm: this runtime does not validate WebAssembly SIMD128[^\n]*\); using cpu\n$/);
    t.match(auto.stdout, /backend auto \(cpu, 1 thread\)/);
    const wasm = run('--backend', 'wasm');
    t.equal(wasm.status, 1);
    t.match(wasm.stderr, /does not validate WebAssembly SIMD128/);
  });

t.test('low-rank flags: parsing and errors that name the flag', async (t) => {
  const a = parseTrainArgs(['--method', 'bug-2pass', '--tol', '0.15', '--rank', '20',
    '--max-rank', '40', '--truncation', '2022']);
  t.match(a, { method: 'bug-2pass', tol: 0.15, rank: 20, maxRank: 40, truncation: '2022' });
  t.throws(() => parseTrainArgs(['--method', 'svd']),
    /--method: expected one of dense\|bug\|bug-fixed\|bug-2pass\|parallel\|abpsi\|geolora\|tdlrt\|tdlrt-1pass\|tdlrt-fixed\|direct, got 'svd'/);
  t.throws(() => parseTrainArgs(['--tol=-0.1']), /--tol: expected a number ≥ 0, got '-0.1'/);
  t.throws(() => parseTrainArgs(['--rank', '0']), /--rank: expected a positive integer, got '0'/);
  t.throws(() => parseTrainArgs(['--method', 'bug', '--rank', '30', '--max-rank', '10']),
    /--max-rank 10 is below --rank 30/);
});

t.test('--init picks the weight init and names bad values', async (t) => {
  t.equal(parseTrainArgs([]).init, 'uniform');
  t.equal(parseTrainArgs(['--init', 'he']).init, 'he');
  t.equal(parseTrainArgs(['--init', 'dlrt-net']).init, 'dlrt-net');
  t.throws(() => parseTrainArgs(['--init', 'xavier']),
    /--init: expected one of uniform\|he\|orthogonal\|dlrt-net\|abpsi-ref, got 'xavier'/);
});

t.test('--output-gain picks the output layer\'s init gain', async (t) => {
  t.equal(parseTrainArgs([]).outputGain, 'relu');
  t.equal(parseTrainArgs(['--init', 'he', '--output-gain', 'linear']).outputGain, 'linear');
  t.throws(() => parseTrainArgs(['--init', 'he', '--output-gain', 'tanh']),
    /--output-gain: expected one of relu\|linear, got 'tanh'/);
});

t.test('--validation: 0 by default, an integer ≥ 0', async (t) => {
  t.equal(parseTrainArgs([]).validation, 0);
  t.equal(parseTrainArgs(['--validation', '1000']).validation, 1000);
  t.throws(() => parseTrainArgs(['--validation', '1.5']),
    /--validation: expected an integer ≥ 0 \(train rows to hold out\), got '1.5'/);
  t.throws(() => parseTrainArgs(['--validation=-2']), /--validation: .* got '-2'/);
});

t.test('--data: mnist by default, mnist-full on request, nothing else', async (t) => {
  t.equal(parseTrainArgs([]).data, 'mnist');
  t.equal(parseTrainArgs(['--data', 'mnist-full']).data, 'mnist-full');
  t.throws(() => parseTrainArgs(['--data', 'cifar']),
    /--data: expected one of mnist\|mnist-full, got 'cifar'/);
});

t.test('--standardize is off by default and takes no value', async (t) => {
  t.equal(parseTrainArgs([]).standardize, false);
  t.equal(parseTrainArgs(['--standardize']).standardize, true);
  t.throws(() => parseTrainArgs(['--standardize=yes']), /standardize/);
});

t.test('a one-epoch rank-adaptive run prints ranks, parameters and compression', async (t) => {
  const dir = t.testdir({});
  const r = dlrt('train', '--epochs', '1', '--hidden', '64', '--batch', '100', '--method', 'bug',
    '--optimizer', 'sgd', '--lr', '0.05', '--momentum', '0.9', '--tol', '0.1', '--progress', 'none', '--json',
    `${dir}/run.json`);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /low-rank layers start at ranks \[32\] \(caps \[32\]\)/);
  t.match(r.stdout, /epoch 1\/1 .* ranks \[\d+\] {2}params [\d,]+ \(\d+\.\d% compression\)/);
  t.match(r.stdout, /test accuracy: [\d.]+%, [\d,]+ parameters \(\d+\.\d% compression\), ranks \[\d+\]/);
  const json = JSON.parse(readFileSync(`${dir}/run.json`, 'utf8'));
  const e = json.epochs[0];
  t.ok(e.ranks['1'] >= 2 && e.ranks['1'] <= 32, `rank ${e.ranks['1']} within [2, 32]`);
  t.equal(e.parameters, e.ranks['1'] * (784 + 64) + e.ranks['1'] ** 2 + 64 + 650,
    'r(n + m) + r² + biases + the dense classifier');
  t.ok(Math.abs(e.compression - (1 - e.parameters / (784 * 64 + 64 + 650))) < 1e-12);
  t.ok(e.testAccuracy > 0.75, `test accuracy ${e.testAccuracy}`);
});

t.test('--backend gpu --gpu-mode webgpu trains end to end; an unavailable mode exits 1',
  async (t) => {
    const r = dlrt('train', '--backend', 'gpu', '--gpu-mode', 'webgpu', '--epochs', '1',
      '--hidden', '32', '--batch', '200', '--progress', 'none');
    t.equal(r.status, 0, r.stderr);
    t.match(r.stdout, /backend gpu \(mode webgpu\)/);
    const acc = Number(/test accuracy: ([\d.]+)%/.exec(r.stdout)?.[1]);
    t.ok(acc > 70, `test accuracy ${acc}% after one epoch on webgpu`);
    const bad = dlrt('train', '--backend', 'gpu', '--gpu-mode', 'webgl2', '--epochs', '1');
    t.equal(bad.status, 1);
    t.match(bad.stderr, /mode 'webgl2' is not available here; available: webgpu, webasm, cpu/);
    t.throws(() => parseTrainArgs(['--gpu-mode', 'webgpu']),
      /--gpu-mode webgpu: does nothing with --backend auto \(the default\): gpu only/);
    t.throws(() => parseTrainArgs(['--backend', 'gpu', '--gpu-mode', 'metal']),
      /--gpu-mode: expected one of auto\|webgpu\|webgl2\|webgl\|headlessgl\|webasm\|cpu/);
  });

t.test('--json to a path that cannot be written fails before any work, naming --json and the path',
  async (t) => {
    const dir = t.testdir({ sub: {} });
    // Root ignores file modes, but sysfs refuses new files even to root.
    const root = process.getuid?.() === 0;
    if (!root) {
      mkdirSync(`${dir}/ro`);
      chmodSync(`${dir}/ro`, 0o555);
      t.teardown(() => chmodSync(`${dir}/ro`, 0o755));
    }
    const cases: [string, RegExp][] = [
      [`${dir}/missing/run.json`, /directory '.*missing' does not exist/],
      [`${dir}/sub`, /it is a directory/],
      [root ? '/sys/dlrt-run.json' : `${dir}/ro/run.json`, /cannot create a file in .* \(EACCES\)/],
    ];
    for (const [path, why] of cases) {
      const lines: string[] = [];
      await t.rejects(train({ ...DEFAULTS, epochs: 1, json: path }, (l) => lines.push(l)),
        new RegExp(`^--json: cannot write '${path}': ${why.source}`), path);
      t.same(lines, [], 'nothing was logged: no data, no model, no epoch');
    }
    t.same(readdirSync(`${dir}/sub`), [], 'the probe left no file behind');
    const r = dlrt('train', '--epochs', '1', '--json', `${dir}/missing/run.json`);
    t.equal(r.status, 1);
    t.equal(r.stdout, '');
    t.match(r.stderr, `dlrt: --json: cannot write '${dir}/missing/run.json'`);
  });

t.test('a rank above a layer\'s cap exits 2 naming the layer, the value and the cap', async (t) => {
  const r = dlrt('train', '--model', 'lenet5', '--method', 'bug', '--rank', '12,20,20');
  t.equal(r.status, 2);
  t.equal(r.stdout, '', 'before the data is loaded');
  t.match(r.stderr, 'dlrt: --rank 12,20,20: 12 is above the cap 10 = ⌊min(20, 25)/2⌋ of ' +
    'low-rank layer 0 (LowRankConv2d 1→20 5×5, W 20×25)');
});

t.test('dlrt train --help prints the help (exit 0); dlrt --version the package version',
  async (t) => {
    const h = dlrt('train', '--help');
    t.equal(h.status, 0, h.stderr);
    t.equal(h.stdout, `${HELP}\n`);
    const v = dlrt('--version');
    t.equal(v.status, 0, v.stderr);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    t.equal(v.stdout, `${pkg.version}\n`);
  });

t.test('--save, --from and dlrt eval: a saved model evaluates, resumes and seeds a new run',
  async (t) => {
    const dir = t.testdir({});
    const base = ['--hidden', '32', '--batch', '500', '--optimizer', 'sgd', '--lr', '0.05',
      '--method', 'parallel', '--tol', '0.1', '--rank', '8', '--backend', 'cpu',
      '--progress', 'none'];
    const run = async (...argv: string[]) => {
      const lines: string[] = [];
      const history = await train(parseTrainArgs([...base, ...argv]), (l) => lines.push(l));
      return { history, out: lines.join('\n') };
    };
    const first = await run('--epochs', '2', '--save', `${dir}/m.st`, '--json',
      `${dir}/run.json`);
    const record = JSON.parse(readFileSync(`${dir}/run.json`, 'utf8'));
    t.notOk('save' in record.args, 'the record holds no path');
    // eval rebuilds the model from the file's arguments: the run's own test accuracy.
    const lines: string[] = [];
    const ev = await evalFile(parseEvalArgs(['--from', `${dir}/m.st`, '--json',
      `${dir}/eval.json`, '--backend', 'cpu']), (l) => lines.push(l));
    const last = first.history[1];
    t.equal(ev.testAccuracy, last.testAccuracy, 'the accuracy the run reported');
    t.equal(ev.testLoss, last.testLoss);
    t.same(Object.values(ev.ranks), Object.values(last.ranks), 'at the saved ranks');
    t.same(JSON.parse(readFileSync(`${dir}/eval.json`, 'utf8')).from, 'm.st',
      'the file name, no path');
    t.match(lines[0],
      /^m\.st: test accuracy \d+\.\d\d% on 2000 digits, loss \d\.\d{4}, ranks \[\d+\]/);
    // The same arguments resume: the saved history, then epoch 3 (checkpoint.test.ts checks
    // that a resumed run equals an uninterrupted one).
    const more = await run('--epochs', '3', '--from', `${dir}/m.st`);
    t.match(more.out, /resuming from .*m\.st after epoch 2/);
    t.same(more.history.slice(0, 2), record.epochs, 'the saved history');
    t.equal(more.history.length, 3);
    // Other arguments start from the weights, at epoch 1.
    const tuned = await run('--epochs', '1', '--lr', '0.01', '--from', `${dir}/m.st`);
    t.match(tuned.out, /starting from the weights of .*m\.st \(ranks \[\d+\]\)/);
    t.equal(tuned.history.length, 1);
    // Errors: another model, a missing file; and on the command line, exit codes.
    await t.rejects(train(parseTrainArgs(['--hidden', '32', '--epochs', '1', '--backend', 'cpu',
      '--from', `${dir}/m.st`]), () => {}),
    /loadModel: .*m\.st: tensor '1\.U' is not a parameter of the model/);
    await t.rejects(evalFile(parseEvalArgs(['--from', `${dir}/none.st`, '--backend', 'cpu']),
      () => {}), /dlrt eval: cannot read .*none\.st: ENOENT/);
    t.throws(() => parseEvalArgs([]), /dlrt eval: --from FILE is required/);
    t.throws(() => parseTrainArgs(['--save-every', '2']),
      /--save-every 2: does nothing without --save/);
    t.throws(() => parseTrainArgs(['--from', 'a', '--checkpoint', 'b']),
      /--from a: conflicts with --checkpoint b/);
    const cli = dlrt('eval', '--from', `${dir}/m.st`, '--backend', 'cpu');
    t.equal(cli.status, 0, cli.stderr);
    t.equal(cli.stdout.trim(), lines[0], 'dlrt eval prints the same line');
    t.equal(dlrt('eval', '--json').status, 2, 'a usage error exits 2');
  });

t.test('dlrt finetune: each adapter trains a saved model on a new task, with a new head',
  async (t) => {
    const dir = t.testdir({});
    const pre = ['--hidden', '32', '--batch', '500', '--optimizer', 'sgd', '--lr', '0.1',
      '--backend', 'cpu', '--progress', 'none'];
    await train(parseTrainArgs([...pre, '--epochs', '1', '--digits', '0,1,2,3,4', '--save',
      `${dir}/pre.st`]), () => {});
    const common = ['--from', `${dir}/pre.st`, '--digits', '5,6,7,8,9', '--epochs', '2',
      '--batch', '100', '--lr', '0.01', '--backend', 'cpu', '--progress', 'none', '--rank', '4'];
    const trainable: Record<string, number> = {};
    for (const adapter of ['head', 'full', 'lora', 'adalora', 'geolora']) {
      const lines: string[] = [];
      const h = await finetune(parseFinetuneArgs([...common, '--adapter', adapter, '--json',
        `${dir}/${adapter}.json`]), (l) => lines.push(l));
      t.match(lines[0], new RegExp(`^dlrt finetune: ${adapter} on .* a new 5-way output layer`));
      t.ok((h[1].testAccuracy ?? 0) > 0.6, `${adapter}: ${h[1].testAccuracy} on digits 5–9`);
      trainable[adapter] = JSON.parse(readFileSync(`${dir}/${adapter}.json`, 'utf8'))
        .epochs[0].trainable;
    }
    // 784-32-5: the head has 32·5 + 5 = 165; LoRA r = 4 on the hidden layer 4·(784 + 32).
    t.equal(trainable.head, 165);
    t.equal(trainable.full, 784 * 32 + 32 + 165);
    t.equal(trainable.lora, 165 + 4 * (784 + 32));
    // --validation N: the task's last N train rows are held out and evaluated every epoch.
    const lines: string[] = [];
    const held = await finetune(parseFinetuneArgs([...common, '--adapter', 'lora', '--validation',
      '500']), (l) => lines.push(l));
    const all = Number(/data: (\d+) train/.exec(lines.find((l) => l.startsWith('data:')) ??
      '')?.[1]);
    t.match(lines.find((l) => l.startsWith('data:')), /^data: \d+ train \/ 500 validation \/ /);
    t.ok(all > 1000, `${all} train rows left`);
    for (const e of held) {
      t.ok(e.validationAccuracy !== null && e.validationAccuracy > 0.5,
        `epoch ${e.epoch}: validation accuracy ${e.validationAccuracy}`);
    }
    t.throws(() => parseFinetuneArgs(['--from', 'x', '--validation', '1.5']),
      /^--validation: expected an integer ≥ 0 .*, got '1\.5'/);
    t.throws(() => parseFinetuneArgs(['--adapter', 'lora']), /--from FILE is required/);
    t.throws(() => parseFinetuneArgs(['--from', 'x', '--adapter', 'lora', '--budget', '9']),
      /^--budget 9: does nothing with --adapter lora: geolora only/);
    t.throws(() => parseFinetuneArgs(['--from', 'x', '--adapter', 'geolora', '--budget', '9',
      '--tol', '0.1']), /^--budget 9: conflicts with --tol 0.1: the budget replaces/);
    t.throws(() => parseFinetuneArgs(['--from', 'x', '--coefficient-steps', '3']),
      /^--coefficient-steps 3: does nothing with --adapter lora: geolora only/);
    t.match(parseFinetuneArgs(['--from', 'x', '--adapter', 'geolora', '--coefficient-steps',
      '3']), { coefficientSteps: 3 });
    t.throws(() => parseFinetuneArgs(['--from', 'x', '--adapter', 'dora']),
      /--adapter: expected one of lora\|adalora\|geolora\|head\|full\|tucker, got 'dora'/);
    await train(parseTrainArgs([...pre, '--epochs', '1', '--method', 'parallel', '--rank', '4',
      '--save', `${dir}/lr.st`]), () => {});
    await t.rejects(finetune(parseFinetuneArgs(['--from', `${dir}/lr.st`, '--backend', 'cpu']),
      () => {}), /lr\.st holds low-rank layers; fine-tune a dense model/);
  });
