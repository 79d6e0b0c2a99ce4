/**
 * The engine: the backend registry, tidy scopes, reference counts and the gradient tape.
 * This file holds all of core's module-level mutable state, in one object.
 */
import type { Backend, DataId } from './backend.js';
import { bytesPerElement } from './dtype.js';
import type { Tensor } from './tensor.js';

/** Makes a backend; receives the options given to `setBackend`. */
export type BackendFactory = (options: Record<string, unknown>) => Backend | Promise<Backend>;

interface Registration {
  factory: BackendFactory;
  priority: number;
}

/** One recorded op: how to push the output's gradient back to its inputs. */
export interface TapeNode {
  op: string;
  inputs: readonly Tensor[];
  output: Tensor;
  /** `needs[i]`: whether input i wants a gradient (ops may skip the others). */
  grad: (dy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null | undefined)[];
}

export interface Tape {
  nodes: TapeNode[];
  /** Ids of tensors whose gradient is wanted or that depend on one. */
  watched: Set<number>;
  /** Also watch every trainable Variable an op reads (variableGrads). */
  watchVariables: boolean;
  /** Ids of every recorded node's inputs and outputs: their disposal waits for the tape. */
  needed: Set<number>;
  /** Tensors the user disposed while the tape still needed them. */
  deferred: Tensor[];
}

interface Storage {
  refs: number;
  bytes: number;
  backend: Backend;
}

/** Live tensors and bytes, per backend and in total. */
export interface MemoryInfo {
  /** Live (not disposed) Tensor objects, Variables included. */
  numTensors: number;
  /** Storage buffers held; several tensors may share one (reshape, clone). */
  numDataBuffers: number;
  /** Bytes of those buffers (elements × bytes per element); shared buffers count once. */
  numBytes: number;
  /**
   * The same counts per backend name, plus the backend's own scratch and peak scratch bytes
   * where it reports them (`Backend.memory`).
   */
  backends: Record<string, {
    /** Live Tensor objects on this backend. */
    numTensors: number;
    /** Bytes of this backend's storage buffers; shared buffers count once. */
    numBytes: number;
    /** Bytes the backend holds outside tensors (scratch, pools), if it reports them. */
    scratchBytes?: number;
    /** The most scratch its kernels have held at once, in bytes, if it reports it. */
    peakScratchBytes?: number;
  }>;
}

class Engine {
  readonly registry = new Map<string, Registration>();
  readonly instances = new Map<string, Backend>();
  active: Backend | null = null;
  activeName: string | null = null;
  scopes: Tensor[][] = [];
  tape: Tape | null = null;
  readonly storage = new Map<DataId, Storage>();
  liveTensors = new Map<string, number>();
  nextId = 0;

  /** Counts a new tensor on its storage and puts it in the innermost tidy scope. */
  track(t: Tensor, options: { scoped: boolean }): void {
    this.retain(t.dataId, t.size * bytesPerElement(t.dtype), t.backend);
    const name = t.backend.name;
    this.liveTensors.set(name, (this.liveTensors.get(name) ?? 0) + 1);
    if (options.scoped && this.scopes.length > 0) this.scopes[this.scopes.length - 1].push(t);
  }

  /** Drops a tensor's reference to its storage (deferred while the tape still needs it). */
  release(t: Tensor): boolean {
    if (this.tape && this.tape.needed.has(t.id)) {
      this.tape.deferred.push(t);
      return false;
    }
    const name = t.backend.name;
    this.liveTensors.set(name, (this.liveTensors.get(name) ?? 1) - 1);
    this.unref(t.dataId);
    return true;
  }

  /** Takes one more reference to a storage buffer. */
  retain(dataId: DataId, bytes: number, backend: Backend): void {
    const s = this.storage.get(dataId);
    if (s) s.refs++;
    else this.storage.set(dataId, { refs: 1, bytes, backend });
  }

  /** Drops one reference; the backend frees the buffer when none is left. */
  unref(dataId: DataId): void {
    const s = this.storage.get(dataId);
    if (!s) return;
    if (--s.refs === 0) {
      this.storage.delete(dataId);
      s.backend.disposeData(dataId);
    }
  }

  memory(): MemoryInfo {
    const backends: MemoryInfo['backends'] = {};
    let numBytes = 0;
    for (const s of this.storage.values()) {
      const b = (backends[s.backend.name] ??= { numTensors: 0, numBytes: 0 });
      b.numBytes += s.bytes;
      numBytes += s.bytes;
    }
    let numTensors = 0;
    for (const [name, n] of this.liveTensors) {
      const b = (backends[name] ??= { numTensors: 0, numBytes: 0 });
      b.numTensors = n;
      numTensors += n;
    }
    for (const [name, inst] of this.instances) {
      const m = inst.memory?.();
      const b = backends[name];
      if (m?.scratchBytes !== undefined && b) b.scratchBytes = m.scratchBytes;
      if (m?.peakScratchBytes !== undefined && b) b.peakScratchBytes = m.peakScratchBytes;
    }
    return { numTensors, numDataBuffers: this.storage.size, numBytes, backends };
  }
}

/** The single engine instance. */
export const ENGINE = new Engine();
