import type { Context } from "hono";
import { z } from "zod";
import { chunkFileField, chunkUploadErrorCodes, chunkUploadFields, chunkUploadPath } from "../../shared/contracts/chunk-upload.ts";
import { uuidString } from "../../shared/contracts/identifiers.ts";
import { AppError, badRequest } from "../../shared/http/app-error.ts";
import { bearerTokenOf } from "../../shared/http/bearer-token.ts";
import { describeZodError, type HttpApp, zodIssueDetails } from "../../shared/http/create-http-app.ts";
import { authenticateDevice, type DevicesDeps } from "../devices/devices.usecases.ts";
import { getChunkDetail } from "./chunk-detail.usecases.ts";
import { type IngestDeps, ingestChunk } from "./ingest.usecases.ts";

const textFields = Object.keys(chunkUploadFields.shape) as Array<keyof typeof chunkUploadFields.shape>;

/** POST /api/v1/chunks (device token) and the admin view of a stored chunk. */
export function registerIngestRoutes(app: HttpApp, deps: IngestDeps & DevicesDeps): void {
  app.post(chunkUploadPath, async (c) => {
    // The token is checked before the body is read: strangers cannot make the core parse uploads.
    const device = await authenticateDevice(deps, bearerTokenOf(c.req.header("authorization")));
    const form = await readMultipart(c);
    const fields = chunkUploadFields.safeParse(textFieldsOf(form));
    if (!fields.success) {
      throw badRequest(chunkUploadErrorCodes.invalidField, describeZodError(fields.error), zodIssueDetails(fields.error));
    }
    const file = form.getAll(chunkFileField);
    if (file.length !== 1 || typeof file[0] === "string") throw badRequest(chunkUploadErrorCodes.missingFile, `exactly one file part named ${chunkFileField} is required`);
    const bytes = new Uint8Array(await (file[0] as File).arrayBuffer());
    return c.json(await ingestChunk(deps, { device, fields: fields.data, bytes }), 200);
  });

  app.get("/api/v1/admin/chunks/:chunk_id", async (c) => {
    const { chunk_id } = z.object({ chunk_id: uuidString }).parse(c.req.param());
    return c.json(await getChunkDetail(deps, chunk_id));
  });
}

type UploadForm = Awaited<ReturnType<Request["formData"]>>;

async function readMultipart(c: Context): Promise<UploadForm> {
  const type = c.req.header("content-type") ?? "";
  if (!/^multipart\/form-data;\s*boundary=/i.test(type)) {
    throw badRequest(chunkUploadErrorCodes.malformedMultipart, "the body must be multipart/form-data with a boundary");
  }
  try {
    return await c.req.raw.formData();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw badRequest(chunkUploadErrorCodes.malformedMultipart, `the multipart body cannot be parsed (${(error as Error).message}); it may be truncated`);
  }
}

/** Text fields as strings; a field sent twice or sent as a file is refused. */
function textFieldsOf(form: UploadForm): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of textFields) {
    const all = form.getAll(name);
    if (all.length === 0) continue;
    if (all.length > 1) throw badRequest(chunkUploadErrorCodes.invalidField, `${name}: sent ${all.length} times; send it once`);
    if (typeof all[0] !== "string") throw badRequest(chunkUploadErrorCodes.invalidField, `${name}: must be a text field, not a file`);
    values[name] = all[0];
  }
  return values;
}
