// Embedded in the compiled binary; the module would otherwise look for it beside its own .js file.
// Only Bun loads this module (see shared/runtime/embedded-file.ts).
import fvadWasmPath from "@echogarden/fvad-wasm/fvad.wasm" with { type: "file" };

export const path = fvadWasmPath;
