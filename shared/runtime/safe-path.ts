import { isAbsolute, join, normalize, relative, sep } from "node:path";

export class UnsafePathError extends Error {
  constructor(readonly input: string, readonly reason: string) {
    super(`unsafe path ${JSON.stringify(input)}: ${reason}`);
    this.name = "UnsafePathError";
  }
}

/**
 * Joins untrusted relative segments under `root` and proves the result stays inside it.
 * Rejects absolute paths, `..` segments, backslashes, NUL and control characters.
 */
export function resolveInside(root: string, ...segments: string[]): string {
  for (const segment of segments) assertSafeRelativePath(segment);
  const candidate = normalize(join(root, ...segments));
  const fromRoot = relative(normalize(root), candidate);
  if (fromRoot === "" || fromRoot.startsWith(`..${sep}`) || fromRoot === ".." || isAbsolute(fromRoot)) {
    throw new UnsafePathError(segments.join("/"), "leaves its directory");
  }
  return candidate;
}

export function assertSafeRelativePath(input: string): void {
  if (input.length === 0) throw new UnsafePathError(input, "empty");
  if (input.length > 1024) throw new UnsafePathError(input.slice(0, 64), "longer than 1024 characters");
  if (/[\u0000-\u001f\u007f]/.test(input)) throw new UnsafePathError(input, "contains control characters");
  if (input.includes("\\")) throw new UnsafePathError(input, "contains a backslash");
  if (isAbsolute(input) || /^[A-Za-z]:/.test(input)) throw new UnsafePathError(input, "is absolute");
  if (input.split("/").some((part) => part === "..")) throw new UnsafePathError(input, "contains '..'");
}
