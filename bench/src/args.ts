/** The bench command line: `[--tag NAME] [suite ...]`. */

/** What `pnpm bench` was asked to run. */
export interface BenchArgs {
  /** The suites in order; every suite when none is named. */
  suites: string[];
  /** '' or the name the records carry (`--tag xeon`: bench/results/matmul-xeon.md). */
  tag: string;
}

/**
 * Parses the bench arguments against the known suites; throws naming the bad argument.
 * @example parseBenchArgs(['--tag', 'xeon', 'matmul'], ['matmul'])
 *   // { suites: ['matmul'], tag: 'xeon' }
 */
export function parseBenchArgs(argv: readonly string[], known: readonly string[]): BenchArgs {
  const suites: string[] = [];
  let tag: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tag' || a.startsWith('--tag=')) {
      const value = a === '--tag' ? argv[++i] : a.slice('--tag='.length);
      if (tag !== null) throw new Error(`bench: --tag given twice ('${tag}', '${value}')`);
      if (value === undefined || !/^[a-z0-9][a-z0-9-]*$/.test(value)) {
        throw new Error('bench: --tag takes a name of lowercase letters, digits and dashes, ' +
          `got ${value === undefined ? 'nothing' : `'${value}'`}`);
      }
      tag = value;
    } else if (known.includes(a)) {
      suites.push(a);
    } else {
      throw new Error(`bench: unknown suite or option '${a}'; suites: ${known.join(', ')}; ` +
        'option: --tag NAME');
    }
  }
  return { suites: suites.length > 0 ? suites : [...known], tag: tag ?? '' };
}
