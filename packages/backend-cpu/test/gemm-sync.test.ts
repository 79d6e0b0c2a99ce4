/**
 * gemm-f32.ts is a copy of gemm-f64.ts (a copy per element type keeps V8's typed-array
 * accesses monomorphic), so nothing but this test keeps the two in step. Its header states the
 * rule checked here: the code after the header is gemm-f64.ts's with 64 replaced by 32,
 * except the packing buffers AP and BP, which stay Float64Array.
 */
import { readFileSync } from 'node:fs';
import t from 'tap';

const read = (name: string) =>
  readFileSync(new URL(`../src/kernels/${name}`, import.meta.url), 'utf8');
/** The file from its first import on (the header comments differ by design). */
const code = (text: string) => text.slice(text.indexOf('\nimport ') + 1);

t.test('gemm-f32.ts is gemm-f64.ts for Float32Array, its packing buffers kept float64', (t) => {
  const f64 = code(read('gemm-f64.ts'));
  const f32 = code(read('gemm-f32.ts'));
  let expected = f64.replace(/64/g, '32');
  for (const buffer of ['AP', 'BP']) {
    const line = `const ${buffer} = new Float32Array(`;
    t.ok(expected.includes(line), `gemm-f64.ts declares its packing buffer ${buffer}`);
    expected = expected.replace(line, `const ${buffer} = new Float64Array(`);
  }
  t.ok(f64.length > 1000, `gemm-f64.ts has its code after the header (${f64.length} chars)`);
  // On a mismatch, name the first line that differs rather than dumping both files.
  const want = expected.split('\n'), got = f32.split('\n');
  const i = want.findIndex((line, k) => line !== got[k]);
  const at = i < 0 && got.length > want.length ? want.length : i;
  t.equal(at, -1, at < 0 ? 'the same code' : `first difference at code line ${at + 1}:\n` +
    `  expected: ${want[at] ?? '(end of file)'}\n  found:    ${got[at] ?? '(end of file)'}`);
  t.end();
});
