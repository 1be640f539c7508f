import { rm } from "node:fs/promises";
import { AppError, badRequest } from "../../shared/http/app-error.ts";
import type { ImportSource } from "../campaigns/campaigns.schema.ts";
import { failImportEarly, type ImporterDeps, importPackageFile } from "./campaign-import.usecases.ts";
import { beginImport } from "./import-lock.ts";
import { receiveUpload } from "./upload-receiver.ts";

/** Imports running in the background of the server, so shutdown can interrupt and await them. */
export class BackgroundImports {
  readonly #controller = new AbortController();
  readonly #running = new Set<Promise<unknown>>();

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  track(work: Promise<unknown>): void {
    const tracked = work.catch(() => {}).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }

  /** Resolves when every background import has finished (used by tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  /** Interrupts running imports (they fail cleanly, leaving the served campaign as it was). */
  async stop(): Promise<void> {
    this.#controller.abort();
    await this.idle();
  }
}

/**
 * An upload (the importer page's, or a machine's through its API key): the lock is taken first (so a busy edge refuses at once), the body
 * is streamed to disk, and the import then runs in the background while the page polls progress.
 */
export async function startUploadedImport(
  deps: ImporterDeps,
  background: BackgroundImports,
  input: { body: ReadableStream<Uint8Array> | null; declaredBytes: number; fileName: string; operator: string | null; source?: Exclude<ImportSource, "cli"> },
): Promise<number> {
  if (background.signal.aborted) throw new AppError("import.interrupted", 503, "the edge is shutting down");
  const run = await beginImport(deps, { source: input.source ?? "upload", fileName: input.fileName, operator: input.operator });
  let path: string;
  try {
    path = await receiveUpload(deps, run, input.body, input.declaredBytes, background.signal);
  } catch (error) {
    const appError = error instanceof AppError ? error : badRequest("import.upload_incomplete", `the upload failed: ${(error as Error).message}`);
    await failImportEarly(deps, run, { code: appError.code, message: appError.message });
    throw appError;
  }
  background.track(importPackageFile(deps, run, path, background.signal).finally(() => rm(path, { force: true })));
  return run.id;
}
