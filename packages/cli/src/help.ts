/** The usage line and the help of `dlrt`, made from the option table (options.ts). */
import { type OptionSpec, OPTIONS, showValue } from './options.js';
import { DEFAULTS, DEMO } from './train.js';

const WIDTH = 100;

/** `words` filled into lines of at most WIDTH characters, each line after the first indented. */
function fill(words: readonly string[], first: string, indent: string): string[] {
  const lines = [first];
  for (const w of words) {
    const i = lines.length - 1;
    if (lines[i].trim() === '') lines[i] += w;            // nothing but the indent yet
    else if (lines[i].length + 1 + w.length <= WIDTH) lines[i] += ` ${w}`;
    else lines.push(indent + w);
  }
  return lines;
}

const usageOf = (o: OptionSpec): string => o.value ? `[--${o.flag} ${o.value}]` : `[--${o.flag}]`;

/** The default of `o` as --help shows it. */
function defaultOf(o: OptionSpec): string {
  const v = DEFAULTS[o.key];
  if (v === undefined) return o.fallback ?? 'none';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return showValue(v);
}

/** The demo's settings as flags, one word each: `--model mlp`, `--epochs 5`, … */
function demoFlags(): string[] {
  return OPTIONS.filter((o) => DEMO[o.key] !== undefined)
    .map((o) => `--${o.flag} ${showValue(DEMO[o.key])}`);
}

/** The short usage printed with a command-line error. */
export const USAGE = [
  ...fill([...OPTIONS.map(usageOf), '[--demo]'], 'usage: dlrt train', '                  '),
  '       dlrt eval --from FILE [--json F] [--backend B] [--threads T]',
  '       dlrt finetune --from FILE --adapter lora|adalora|geolora|head|full|tucker [options]',
  '       dlrt plot RUN.json... -o FILE.svg [--title T]',
  '       dlrt --help | dlrt train --help',
  '       dlrt --version',
].join('\n');

/** Every option with its meaning and its default. */
export const HELP = [
  'usage: dlrt train [options]      train a classifier on the bundled MNIST split',
  '       dlrt eval --from FILE     the test accuracy of a model saved by dlrt train --save',
  '         [--json F] [--backend B] [--threads T]',
  '       dlrt finetune --from FILE fine-tune a saved dense model on a task: --adapter',
  '         lora|adalora|geolora|head|full (default lora), --targets NAME,… (default: every',
  '         Dense and Conv2d but the output layer), --rank r (8), --alpha a (r), --tol τ',
  '         (geolora, 0.15), --budget B (geolora: one rank budget for all layers),',
  '         --coefficient-steps c (geolora: S-steps between augmentations, 0),',
  '         --target-rank r (adalora, 4), --t-init, --t-final (adalora, fractions of the steps:',
  '         0.1, 0.2), --delta-t N (adalora, 10), --digits D,D… and --rotate DEG (the task),',
  '         --epochs (5), --batch (128), --optimizer sgd|adam (adam), --lr (0.001),',
  '         --validation N (hold the last N train rows out and report their accuracy after',
  '         every epoch, 0), --momentum, --seed, --json F, --backend, --threads, --progress',
  '       dlrt --help | -h          this help (also: dlrt train --help)',
  '       dlrt --version            the version of @dlrt/cli',
  '',
  'options of dlrt train:',
  ...OPTIONS.flatMap((o) => [
    `  --${o.flag}${o.value ? ` ${o.value}` : ''}`,
    ...fill(`${o.meaning} (default: ${defaultOf(o)})`.split(' '), '      ', '      '),
  ]),
  '  --demo',
  ...fill(['the', 'demo', 'npm', 'start', 'runs:', ...demoFlags(), '(the', 'options', 'given',
    'override', 'it)'], '      ', '      '),
  '',
  'An option that would do nothing with the others (e.g. --tol with --method dense, --momentum',
  'with --optimizer adam) is an error.',
].join('\n');
