/** A job that failed and was recorded as failed: the worker's loop backs off before its next claim. */
export class JobFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobFailedError";
  }
}
