import type { LeadFileProblem } from "../../shared/campaign-package/lead-rows.ts";

/** One thing wrong with a package, precise enough for an operator to fix it at the source. */
export type ImportProblem = LeadFileProblem;

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
