/**
 * The demo's Vite config. The page must be cross-origin isolated (COOP and COEP headers) for
 * SharedArrayBuffer, which the wasm and gpu backends need; the digits file is made from the
 * `mnist` package when the dev server or the build first asks for it.
 */
import { gzipSync } from 'node:zlib';
import { mnist } from '@dlrt/layers/node';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { DIGITS_FILE, encodeDigits } from './src/digits.js';

const ISOLATED = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function digits(): Plugin {
  let packed: Buffer | undefined;
  const bytes = () => (packed ??= gzipSync(encodeDigits(mnist())));
  return {
    name: 'dlrt-digits',
    configureServer(server) {
      server.middlewares.use(`/${DIGITS_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(bytes());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: bytes() });
    },
  };
}

export default defineConfig({
  base: './',
  // The packages' TypeScript sources, as the tests use them: an unbuilt edit shows in the page.
  resolve: { conditions: ['dlrt-source', ...defaultClientConditions] },
  plugins: [digits()],
  server: { headers: ISOLATED },
  preview: { headers: ISOLATED },
  worker: { format: 'es' },
  // Not minified: gpu.js compiles each kernel from its JavaScript source (Function.toString),
  // and its parser rejects what a minifier makes of it.
  build: { target: 'es2022', minify: false, chunkSizeWarningLimit: 4096 },
});
