/**
 * Serving a stored representation per RFC 9110: strong ETag and Last-Modified validators,
 * conditional requests (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, If-Range,
 * evaluated in the order of section 13.2.2), HEAD, and byte ranges (single and multipart).
 */
export interface Representation {
  /** A Blob: responses and ranges of it share its memory instead of copying it. */
  body: Blob;
  contentType: string;
  /** A strong entity tag, quoted: `"…"`. */
  etag: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  cacheControl: string;
  headers?: Record<string, string>;
}

/** More ranges than this in one request are ignored (a full 200 is sent instead). */
const maxRanges = 16;

export function respondWithRepresentation(request: Request, representation: Representation): Response {
  const method = request.method;
  const headers = request.headers;
  const ifMatch = headers.get("if-match");
  const ifNoneMatch = headers.get("if-none-match");
  const ifModifiedSince = ifNoneMatch === null ? headers.get("if-modified-since") : null;
  const ifUnmodifiedSince = ifMatch === null ? headers.get("if-unmodified-since") : null;
  const range = method === "GET" ? headers.get("range") : null;
  const lastModifiedSeconds = Math.floor(representation.lastModified / 1000);

  if (ifMatch === null && ifNoneMatch === null && ifModifiedSince === null && ifUnmodifiedSince === null && range === null) {
    return fullResponse(method, representation);
  }
  if (ifMatch !== null && !entityTagListMatches(ifMatch, representation.etag, "strong")) return emptyResponse(412, representation);
  if (ifUnmodifiedSince !== null) {
    const since = parseHttpDate(ifUnmodifiedSince);
    if (since !== null && lastModifiedSeconds > since) return emptyResponse(412, representation);
  }
  if (ifNoneMatch !== null && entityTagListMatches(ifNoneMatch, representation.etag, "weak")) {
    return method === "GET" || method === "HEAD" ? emptyResponse(304, representation) : emptyResponse(412, representation);
  }
  if (ifModifiedSince !== null && (method === "GET" || method === "HEAD")) {
    const since = parseHttpDate(ifModifiedSince);
    if (since !== null && lastModifiedSeconds <= since) return emptyResponse(304, representation);
  }
  if (range === null) return fullResponse(method, representation);

  const ifRange = headers.get("if-range");
  if (ifRange !== null && !ifRangeMatches(ifRange, representation.etag, lastModifiedSeconds)) return fullResponse(method, representation);
  const size = representation.body.size;
  const ranges = parseRangeHeader(range, size);
  if (ranges === null) return fullResponse(method, representation);
  if (ranges.length === 0) {
    return new Response(null, { status: 416, headers: { ...baseHeaders(representation), "Content-Range": `bytes */${size}` } });
  }
  if (ranges.length === 1) {
    const [start, end] = ranges[0]!;
    return new Response(representation.body.slice(start, end + 1), {
      status: 206,
      headers: { ...baseHeaders(representation), "Content-Type": representation.contentType, "Content-Range": `bytes ${start}-${end}/${size}` },
    });
  }
  return multipartResponse(representation, ranges);
}

function baseHeaders(representation: Representation): Record<string, string> {
  return {
    ETag: representation.etag,
    "Last-Modified": new Date(representation.lastModified).toUTCString(),
    "Cache-Control": representation.cacheControl,
    "Accept-Ranges": "bytes",
    ...representation.headers,
  };
}

function fullResponse(method: string, representation: Representation): Response {
  const headers = { ...baseHeaders(representation), "Content-Type": representation.contentType, "Content-Length": String(representation.body.size) };
  // HEAD: the same header fields as GET, Content-Length included, and no body.
  return new Response(method === "HEAD" ? null : representation.body, { status: 200, headers });
}

function emptyResponse(status: 304 | 412, representation: Representation): Response {
  return new Response(null, { status, headers: baseHeaders(representation) });
}

function multipartResponse(representation: Representation, ranges: Array<[number, number]>): Response {
  const boundary = `salescontrol-${crypto.randomUUID()}`;
  const total = representation.body.size;
  const parts: Array<string | Blob> = [];
  for (const [start, end] of ranges) {
    parts.push(`\r\n--${boundary}\r\nContent-Type: ${representation.contentType}\r\nContent-Range: bytes ${start}-${end}/${total}\r\n\r\n`);
    parts.push(representation.body.slice(start, end + 1));
  }
  parts.push(`\r\n--${boundary}--\r\n`);
  return new Response(new Blob(parts), { status: 206, headers: { ...baseHeaders(representation), "Content-Type": `multipart/byteranges; boundary=${boundary}` } });
}

/**
 * `bytes=0-99, 200-, -50` → inclusive [start, end] pairs clamped to the length. null: the header
 * is malformed, in another unit or asks too much (it is then ignored); []: nothing satisfiable.
 */
export function parseRangeHeader(value: string, length: number): Array<[number, number]> | null {
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(value);
  if (!match) return null;
  const specs = match[1]!.split(",").map((spec) => spec.trim()).filter((spec) => spec !== "");
  if (specs.length === 0 || specs.length > maxRanges) return null;
  const ranges: Array<[number, number]> = [];
  for (const spec of specs) {
    const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!parts || (parts[1] === "" && parts[2] === "")) return null;
    if (parts[1] === "") {
      const suffix = Number(parts[2]);
      if (suffix > 0 && length > 0) ranges.push([Math.max(0, length - suffix), length - 1]);
      continue;
    }
    const first = Number(parts[1]);
    const last = parts[2] === "" ? Number.POSITIVE_INFINITY : Number(parts[2]);
    if (last < first) return null;
    if (first < length) ranges.push([first, Math.min(last, length - 1)]);
  }
  return ranges;
}

/** `"a", W/"b"` or `*` against our strong tag; weak comparison ignores the W/ prefix. */
export function entityTagListMatches(header: string, etag: string, comparison: "strong" | "weak"): boolean {
  if (header.trim() === "*") return true;
  for (const raw of header.split(",")) {
    const candidate = raw.trim();
    if (candidate.startsWith("W/")) {
      if (comparison === "weak" && candidate.slice(2) === etag) return true;
    } else if (candidate === etag) return true;
  }
  return false;
}

function ifRangeMatches(value: string, etag: string, lastModifiedSeconds: number): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith("W/")) return trimmed === etag;
  const date = parseHttpDate(trimmed);
  return date !== null && date === lastModifiedSeconds;
}

/** An HTTP-date in seconds since the epoch, or null when it is not one (the header is then ignored). */
export function parseHttpDate(value: string): number | null {
  const millis = Date.parse(value);
  return Number.isFinite(millis) ? Math.floor(millis / 1000) : null;
}
