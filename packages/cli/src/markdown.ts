/** Markdown tables for result files (experiments here, benchmark suites in bench/). */

/**
 * A markdown table; columns whose cells all look numeric ("1,234", "3.5 ± 0.2", "2.1×", "–")
 * are right-aligned.
 */
export function markdownTable(headers: string[], rows: string[][]): string {
  const numeric = headers.map((_, i) => rows.length > 0 &&
    rows.every((r) => /^[-+]?[\d.,]+( ± [\d.]+)?[×%]?$|^–$|^skipped/.test(r[i] ?? '')));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map((_, i) => (numeric[i] ? '---:' : '---'))),
    ...rows.map(line)].join('\n');
}
