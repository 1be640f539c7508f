import { AppError } from "../http/app-error.ts";

/** Where a command prints: its result on `out`, progress and errors on `err`. */
export interface CommandOutput {
  out: (text: string) => void;
  err: (text: string) => void;
  /** A terminal: progress is redrawn on one line instead of printed line by line. */
  interactive: boolean;
}

/** Runs a command's work; an expected failure (AppError) is printed and exits 1, anything else propagates. */
export async function reportingExpectedErrors(output: CommandOutput, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    output.err(`${error.message}\n`);
    return 1;
  }
}
