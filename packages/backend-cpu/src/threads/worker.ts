/** The cpu backend's pool worker: the pure-TS GEMM kernel on shared memory. */
import { gemmStrided } from '../kernels/gemm.js';
import { servePool } from './serve.js';

servePool(gemmStrided);
