/** One thing wrong with a package, precise enough for an operator to fix it at the source. */
export interface ImportProblem {
  /** Stable dotted code, e.g. `zip.unsafe_path`, `leads.invalid_field`, `audio.unsupported_format`. */
  code: string;
  message: string;
  /** The package file it concerns (`leads.csv`, `audio/greeting/1.wav`). */
  file?: string;
  /** Data row, counted from 1 after the header (for leads.sql: the n-th value tuple). */
  row?: number;
  /** Line of the leads file where that row starts. */
  line?: number;
  column?: string;
  /** The row's lead_id, when it could be read. */
  lead_id?: number;
}

/** A problem that stops validation at once (the archive cannot be read further, or is hostile). */
export class PackageRejectedError extends Error {
  constructor(readonly problem: ImportProblem) {
    super(problem.message);
    this.name = "PackageRejectedError";
  }
}

export function reject(code: string, message: string, where: Omit<ImportProblem, "code" | "message"> = {}): never {
  throw new PackageRejectedError({ code, message, ...where });
}
