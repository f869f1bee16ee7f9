// A PKCS#11 module (the token's shared library) is initialized once per process: C_Initialize and C_Finalize are
// process-wide, so every key opened from the same library shares one ModuleHandle. A token that went away and came
// back is only seen again after the module is initialized anew (SoftHSM2 reads its tokens at C_Initialize); the
// generation tells each key that its session died with the old initialization.
import {
  describePkcs11Failure,
  loadPkcs11Binding,
  type Pkcs11Api,
  pkcs11ReturnName,
} from './pkcs11-binding.js';

export interface ModuleHandle {
  readonly path: string;
  readonly api: Pkcs11Api;
  /** Grows at each initialization; a session opened under an older one is gone. */
  readonly generation: number;
  /** True while initialized (a failed re-initialization leaves it false until one succeeds). */
  readonly ready: boolean;
  /** Finalizes and initializes again; throws when the module cannot initialize now. */
  reinitialize(): void;
  /** One holder fewer; the last finalizes the module. */
  release(): void;
}

interface ModuleState {
  path: string;
  api: Pkcs11Api;
  generation: number;
  ready: boolean;
  holders: number;
}

const modules = new Map<string, ModuleState>();

function initialize(state: ModuleState): void {
  try {
    state.api.C_Initialize();
  } catch (err) {
    // Another library in this process (or an earlier holder) may have initialized it: that is as good.
    if (pkcs11ReturnName(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw err;
  }
  state.ready = true;
  state.generation += 1;
}

function handleOf(state: ModuleState): ModuleHandle {
  let released = false;
  return {
    path: state.path,
    api: state.api,
    get generation() {
      return state.generation;
    },
    get ready() {
      return state.ready;
    },
    reinitialize() {
      if (state.ready) {
        state.ready = false;
        try {
          state.api.C_Finalize();
        } catch {
          // Finalizing a module whose token vanished may fail; initializing again is what matters.
        }
      }
      initialize(state);
    },
    release() {
      if (released) return;
      released = true;
      state.holders -= 1;
      if (state.holders > 0) return;
      modules.delete(state.path);
      if (state.ready) {
        state.ready = false;
        try {
          state.api.C_Finalize();
        } catch {
          // Nothing is left to close.
        }
      }
    },
  };
}

/** The module at `path`, loaded and initialized on first use; errors name the path. */
export function acquireModule(path: string, bindingPackage?: string): ModuleHandle {
  let state = modules.get(path);
  if (state === undefined) {
    const api = loadPkcs11Binding(bindingPackage);
    try {
      api.load(path);
    } catch (err) {
      throw new Error(`cannot load the PKCS#11 module ${path}: ${describePkcs11Failure(err)}`);
    }
    state = { path, api, generation: 0, ready: false, holders: 0 };
    try {
      initialize(state);
    } catch (err) {
      throw new Error(`the PKCS#11 module ${path} does not initialize: ${describePkcs11Failure(err)}`);
    }
    modules.set(path, state);
  } else if (!state.ready) {
    try {
      initialize(state);
    } catch (err) {
      throw new Error(`the PKCS#11 module ${path} does not initialize: ${describePkcs11Failure(err)}`);
    }
  }
  state.holders += 1;
  return handleOf(state);
}
