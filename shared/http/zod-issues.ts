import type { ZodError } from "zod";

/** The first few issues of a zod error as one line: "field: message; other: message". */
export function describeZodError(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** Every issue as {path, message}, the `details` of a request.invalid answer. */
export function zodIssueDetails(error: ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}
