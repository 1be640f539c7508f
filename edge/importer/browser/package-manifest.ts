/**
 * Reads a package's manifest.json in the browser before anything is uploaded, so the deploy dialog can
 * name the campaign that goes live. Only the zip's central directory and that one entry are read;
 * anything unexpected gives null (the edge checks the package properly after the upload).
 */
export interface ManifestPreview {
  campaignId: string;
  campaignName: string;
  leadCount: number | null;
}

const endOfDirectory = 0x06054b50;
const zip64Locator = 0x07064b50;
const zip64Record = 0x06064b50;
const directoryEntry = 0x02014b50;
const localHeader = 0x04034b50;
const manifestName = "manifest.json";
const maxManifestBytes = 1024 * 1024;

async function bytesOf(file: Blob, start: number, end: number): Promise<DataView> {
  return new DataView(await file.slice(start, end).arrayBuffer());
}

/** Where the central directory is and how long it is, from the end-of-directory records. */
async function centralDirectory(file: File): Promise<{ offset: number; size: number } | null> {
  const tailStart = Math.max(0, file.size - (22 + 65535 + 20));
  const tail = await bytesOf(file, tailStart, file.size);
  for (let at = tail.byteLength - 22; at >= 0; at--) {
    if (tail.getUint32(at, true) !== endOfDirectory) continue;
    let size = tail.getUint32(at + 12, true);
    let offset = tail.getUint32(at + 16, true);
    if ((size === 0xffffffff || offset === 0xffffffff) && at >= 20 && tail.getUint32(at - 20, true) === zip64Locator) {
      const recordAt = Number(tail.getBigUint64(at - 20 + 8, true));
      const record = await bytesOf(file, recordAt, recordAt + 56);
      if (record.getUint32(0, true) !== zip64Record) return null;
      size = Number(record.getBigUint64(40, true));
      offset = Number(record.getBigUint64(48, true));
    }
    return offset + size <= file.size ? { offset, size } : null;
  }
  return null;
}

async function inflate(data: ArrayBuffer): Promise<ArrayBuffer> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Response(stream).arrayBuffer();
}

export async function readManifestPreview(file: File): Promise<ManifestPreview | null> {
  try {
    const directory = await centralDirectory(file);
    if (!directory || directory.size > 64 * 1024 * 1024) return null;
    const entries = await bytesOf(file, directory.offset, directory.offset + directory.size);
    const decoder = new TextDecoder();
    for (let at = 0; at + 46 <= entries.byteLength && entries.getUint32(at, true) === directoryEntry; ) {
      const method = entries.getUint16(at + 10, true);
      const compressedSize = entries.getUint32(at + 20, true);
      const nameLength = entries.getUint16(at + 28, true);
      const extraLength = entries.getUint16(at + 30, true);
      const commentLength = entries.getUint16(at + 32, true);
      let localAt = entries.getUint32(at + 42, true);
      const name = decoder.decode(new Uint8Array(entries.buffer, entries.byteOffset + at + 46, nameLength));
      if (name === manifestName) {
        if (localAt === 0xffffffff) {
          // zip64: the offset is the last 8 bytes of the zip64 extra field (sizes fit, the manifest is small).
          for (let extra = at + 46 + nameLength; extra + 4 <= at + 46 + nameLength + extraLength; ) {
            const id = entries.getUint16(extra, true);
            const length = entries.getUint16(extra + 2, true);
            if (id === 0x0001) localAt = Number(entries.getBigUint64(extra + 4 + length - 8, true));
            extra += 4 + length;
          }
        }
        if (compressedSize > maxManifestBytes || (method !== 0 && method !== 8)) return null;
        const header = await bytesOf(file, localAt, localAt + 30);
        if (header.getUint32(0, true) !== localHeader) return null;
        const dataAt = localAt + 30 + header.getUint16(26, true) + header.getUint16(28, true);
        const stored = await file.slice(dataAt, dataAt + compressedSize).arrayBuffer();
        const text = decoder.decode(method === 8 ? await inflate(stored) : stored);
        const manifest = JSON.parse(text) as { campaign?: { id?: unknown; name?: unknown }; lead_count?: unknown };
        if (typeof manifest.campaign?.id !== "string" || typeof manifest.campaign.name !== "string") return null;
        return { campaignId: manifest.campaign.id, campaignName: manifest.campaign.name, leadCount: typeof manifest.lead_count === "number" ? manifest.lead_count : null };
      }
      at += 46 + nameLength + extraLength + commentLength;
    }
    return null;
  } catch {
    return null;
  }
}
