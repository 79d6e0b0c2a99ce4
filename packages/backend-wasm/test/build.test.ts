// The kernels under test are the built binaries: they must be newer than every source.
import t from 'tap';
import { readdirSync, statSync } from 'node:fs';

t.test('build/*.wasm is newer than assembly/*.ts (else run: pnpm build:wasm)', (t) => {
  const dir = new URL('../', import.meta.url).pathname;
  const newest = Math.max(...readdirSync(`${dir}assembly`).map((f) =>
    statSync(`${dir}assembly/${f}`).mtimeMs));
  for (const flavor of ['simd', 'relaxed']) {
    const built = statSync(`${dir}build/kernels-${flavor}.wasm`).mtimeMs;
    t.ok(built >= newest, `kernels-${flavor}.wasm is up to date`);
  }
  t.end();
});
