/** The ops that Tensor's chaining methods call (kept apart to keep tensor.ts small). */
export { add, sub, mul, div, pow } from './arithmetic.js';
export { neg, abs, exp, log, sqrt, square, relu, sigmoid, tanh, cast } from './unary.js';
export { sum, mean, max, min } from './reduce.js';
export { reshape, transpose } from './shape-ops.js';
export { matmul } from './matmul.js';
