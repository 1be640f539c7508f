import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { syncDirectory, temporarySiblingPath } from "../runtime/files.ts";
import { type AddFileOptions, CampaignPackageWriter, type ManifestFields, type PackageWriterOptions } from "./campaign-package-writer.ts";

/**
 * Where a streamed package goes: a file, or an HTTP response body. `write` resolves once the bytes
 * are taken, so a slow reader slows the writer instead of piling the package up in memory.
 */
export interface PackageSink {
  write(chunk: Uint8Array): Promise<void>;
  /** The package is complete. */
  close(): Promise<void>;
  /** The package will not be completed: nothing half-written may be taken for a package. */
  abort(reason: unknown): Promise<void>;
}

export class PackageStreamAborted extends Error {
  readonly code = "package.stream_aborted";
  constructor(message: string) {
    super(message);
    this.name = "PackageStreamAborted";
  }
}

/** The package writer with every call awaiting its sink; memory holds one call's output. */
export class CampaignPackageStream {
  readonly #writer: CampaignPackageWriter;
  #pending: Uint8Array[] = [];

  constructor(
    private readonly sink: PackageSink,
    options: PackageWriterOptions = {},
  ) {
    this.#writer = new CampaignPackageWriter((chunk) => this.#pending.push(chunk), options);
  }

  async addFile(path: string, data: Uint8Array | string, options: AddFileOptions = {}): Promise<void> {
    await this.#guard(() => this.#writer.addFile(path, data, options));
  }

  /** A file written in pieces; each piece is on its way to the sink before `push` resolves. */
  openFile(path: string, options: AddFileOptions = {}): { push(chunk: Uint8Array | string): Promise<void>; end(): Promise<void> } {
    const entry = this.#writer.openFile(path, options);
    return {
      push: (chunk) => this.#guard(() => entry.push(chunk)),
      end: () => this.#guard(() => entry.end()),
    };
  }

  /** Writes the manifest and the central directory a piece at a time, each on its way to the sink before the next. */
  async finish(fields: ManifestFields): Promise<{ bytes: number }> {
    const steps = this.#writer.finishing(fields);
    for (;;) {
      let step: IteratorResult<void, { bytes: number }> | undefined;
      await this.#guard(() => {
        step = steps.next();
      });
      if (step!.done) {
        await this.sink.close();
        return step!.value;
      }
    }
  }

  /** Gives up: the writer frees its spill files, the sink discards what it has (a file sink removes its temp file, a download fails). */
  async abort(reason: unknown): Promise<void> {
    this.#pending = [];
    this.#writer.discard();
    await this.sink.abort(reason);
  }

  /** Runs one writer call and hands its output to the sink; a failure of either aborts the package. */
  async #guard(step: () => void): Promise<void> {
    try {
      step();
      const chunks = this.#pending;
      this.#pending = [];
      for (const chunk of chunks) await this.sink.write(chunk);
    } catch (error) {
      await this.abort(error);
      throw error;
    }
  }
}

/** A package file written atomically: a temp sibling, fsync, then the final name; aborting removes the temp file. */
export function packageFileSink(path: string): PackageSink {
  const temp = temporarySiblingPath(path);
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  const opened = async () => {
    if (!handle) {
      await mkdir(dirname(path), { recursive: true });
      handle = await open(temp, "wx", 0o644);
    }
    return handle;
  };
  return {
    async write(chunk) {
      const file = await opened();
      let offset = 0;
      while (offset < chunk.length) offset += (await file.write(chunk, offset)).bytesWritten;
    },
    async close() {
      const file = await opened();
      await file.sync();
      await file.close();
      handle = null;
      await rename(temp, path);
      await syncDirectory(dirname(path));
    },
    async abort() {
      await handle?.close().catch(() => {});
      handle = null;
      await rm(temp, { force: true });
    },
  };
}

/**
 * A package as an HTTP response body. The writer waits while more than `highWaterMarkBytes` are
 * queued for the client; a client that goes away makes the next write fail with PackageStreamAborted.
 */
export function packageDownloadStream(options: { highWaterMarkBytes?: number } = {}): { sink: PackageSink; body: ReadableStream<Uint8Array>; queuedBytes(): number } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | null = null;
  let cancelled: string | null = null;
  const highWaterMark = options.highWaterMarkBytes ?? 1024 * 1024;
  const body = new ReadableStream<Uint8Array>(
    {
      start(streamController) {
        controller = streamController;
      },
      pull() {
        wake?.();
        wake = null;
      },
      cancel(reason) {
        cancelled = `the client stopped reading (${String(reason ?? "cancelled")})`;
        wake?.();
        wake = null;
      },
    },
    { highWaterMark, size: (chunk) => chunk?.byteLength ?? 0 },
  );
  const waitForRoom = async () => {
    while (!cancelled && (controller.desiredSize ?? 0) <= 0) await new Promise<void>((resolve) => (wake = resolve));
  };
  return {
    body,
    queuedBytes: () => Math.max(0, highWaterMark - (controller.desiredSize ?? 0)),
    sink: {
      async write(chunk) {
        if (cancelled) throw new PackageStreamAborted(cancelled);
        await waitForRoom();
        if (cancelled) throw new PackageStreamAborted(cancelled);
        controller.enqueue(chunk);
      },
      async close() {
        if (!cancelled) controller.close();
      },
      async abort(reason) {
        if (!cancelled) controller.error(reason instanceof Error ? reason : new Error(String(reason)));
        cancelled ??= "aborted by the writer";
      },
    },
  };
}
