/**
 * @dlrt/layers: modules, losses, optimizers, integrators (training methods), data and the
 * Trainer. Written against @dlrt/core only, so everything runs on every backend, and browser-safe:
 * what needs Node's file system (`mnist()`, `runRecordWriter`) is in `@dlrt/layers/node`.
 */
export { Module, Sequential } from './nn/module.js';
export { Dense, type DenseOptions } from './nn/dense.js';
export { Conv2d, type Conv2dLayerOptions } from './nn/conv2d.js';
export { ReLU, Tanh, Sigmoid, GELU, MaxPool2d, AvgPool2d, Flatten } from './nn/simple.js';
export { LayerNorm, type LayerNormOptions } from './nn/layer-norm.js';
export { Embedding } from './nn/embedding.js';
export { Dropout } from './nn/dropout.js';
export { LearnedPositions, SinusoidalPositions, sinusoidalTable } from './nn/positions.js';
export { RoPE, type RoPEOptions } from './nn/rope.js';
export {
  AttentionModule, KVCache, MultiHeadAttention, type MultiHeadAttentionOptions, splitHeads,
  mergeHeads,
} from './nn/multi-head-attention.js';
export {
  MultiHeadLatentAttention, type MultiHeadLatentAttentionOptions,
} from './nn/latent-attention.js';
export {
  TuckerAttention, type TuckerAttentionOptions, type TuckerAttentionFactors, type TuckerRanks,
  stackedWeights,
} from './nn/tucker-attention.js';
export {
  FactorizedLayer, type Factorization, type FactorForm, type LayerParameterCounts,
  parameterCounts, type ParameterCounts, type RebaseOptions, type Factored, isFactored,
} from './nn/factorized-layer.js';
export {
  LowRankLayer, type LowRankOptions, type LowRankInit, type Factors, randomFactors,
  factorsFromDense,
} from './nn/low-rank-layer.js';
export { LowRankDense } from './nn/low-rank-dense.js';
export { LowRankConv2d, type LowRankConv2dOptions } from './nn/low-rank-conv2d.js';
export {
  TuckerConv2d, type TuckerConv2dOptions, type TuckerFromDenseOptions, type TuckerPath,
  TUCKER_PATHS, KERNEL_MODES, tuckerConv, type TuckerConvLayout,
} from './nn/tucker-conv2d.js';
export { TuckerFactorsConv2d } from './nn/tucker-factors-conv2d.js';
export {
  initBias, type InitOptions, initRng, initWeight, uniformFanIn, WEIGHT_INITS, type WeightInit,
  type CoreSpectrum, coreSpectrum, INIT_GAINS, type InitGain, weightVariance,
} from './nn/init.js';
export { crossEntropy, mse } from './nn/losses.js';
export { Optimizer, type SlotKind } from './optim/optimizer.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './optim/adam.js';
export {
  type Integrator, type Rank, type StepResult, NonFiniteLossError, readLoss,
} from './integrators/integrator.js';
export { GradientStep, type GradientStepOptions } from './integrators/gradient-step.js';
export {
  type LowRankIntegratorOptions, type AdaptiveOptions, type TruncationOptions, checkAdaptive,
  ruleFor, rankBounds, TRUNCATIONS,
} from './integrators/options.js';
export {
  type FactorizedParts, factorizedParts, matrixParts, ranksOf,
} from './integrators/parts.js';
export {
  Coefficients, FactorizedIntegrator, type KStep, reducedDirection,
} from './integrators/factorized-integrator.js';
export { TuckerBUG, type TuckerBUGOptions } from './integrators/tucker-bug.js';
export { FixedRankBUG, type FixedRankBUGOptions } from './integrators/fixed-rank-bug.js';
export { RankAdaptiveBUG, type RankAdaptiveBUGOptions } from './integrators/rank-adaptive-bug.js';
export { ParallelBUG, type ParallelBUGOptions } from './integrators/parallel-bug.js';
export { ABPSI, ABPSI_DENSE_STEPS, ABPSI_SIDES, type ABPSIOptions } from './integrators/abpsi.js';
export { GeoLoRA, type GeoLoRAOptions } from './integrators/geolora.js';
export { integratorFor, MATRIX_METHODS, METHODS, type Method } from './integrators/methods.js';
export {
  mlp, lenet5, vggMini, ToImage, type ClassifierOptions, type LowRankSpec, lowRankSize,
  type LowRankLayerInfo, LowRankSizeError, type ConvFormat, CONV_FORMATS, type TuckerSpec,
} from './models/classifiers.js';
export { convCompression } from './models/conv-compression.js';
export {
  type AttentionLayer, attentionLayer, type AttentionSpec, CharLM, type CharLMOptions,
  type SampleOptions, TransformerBlock, Vit, type VitOptions,
} from './models/transformer.js';
export { mnistFromDigits, type MnistData, type DigitSplit } from './data/mnist.js';
export { pixelStats, standardized, type PixelStats } from './data/standardize.js';
export { holdOut, type HeldOut } from './data/hold-out.js';
export { shuffledBatches, gatherRows } from './data/batches.js';
export {
  Trainer, evaluate, labeledBatch, formatEpoch, bestValidationEpoch, type TrainerOptions, type EpochLog,
  type LabeledData,
} from './train/trainer.js';
export {
  Progress, PROGRESS_MODES, type ProgressMode, type ProgressStream,
} from './train/progress.js';
export {
  decodeSafetensors, encodeSafetensors, type SafeDType, type SafeTensor, type Safetensors,
} from './io/safetensors.js';
export { encodeModel, loadModel, modelRanks, modelTensors, RANKS_KEY } from './io/model-state.js';
export { LoRA, type LoRAOptions, type AdaptableLayer } from './adapters/lora.js';
export { AdaLoRA, type AdaLoRAOptions } from './adapters/adalora.js';
export {
  adaloraBudget, AdaLoRAStep, type AdaLoRAStepOptions,
} from './integrators/adalora-step.js';
export {
  GeoLoRAConv2d, GeoLoRADense, type GeoLoRAAdapterOptions,
} from './adapters/geolora-adapters.js';
export {
  type Adapter, ADAPTER_METHODS, type AdapterMethod, type AdapterOptions, applyAdapters,
  mergeAdapters, trainableParameterCount,
} from './adapters/apply.js';
export { rotateDigits, selectDigits } from './data/tasks.js';
