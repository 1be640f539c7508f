import { z } from "zod";
import { uuidString } from "../../shared/contracts/identifiers.ts";
import {
  claimJobRequest,
  heartbeatRequest,
  internalApiPaths,
  jobFailureRequest,
  jobResultRequest,
} from "../../shared/contracts/worker-jobs.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import { isoTime } from "../../shared/http/iso-time.ts";
import { readJsonBody } from "../../shared/http/json-body.ts";
import { claimRemoteJob, completeRemoteJob, extendRemoteLease, failRemoteJob, type InternalDeps, readChunkAudio } from "./internal.usecases.ts";

const jobIdParam = z.object({ job_id: z.coerce.number().int().positive() });

/** The internal API for `core worker` processes (behind INTERNAL_TOKEN, which app.ts puts on /api/v1/internal/*). */
export function registerInternalRoutes(app: HttpApp, deps: InternalDeps): void {
  app.post(internalApiPaths.claim, async (c) => {
    const body = await readJsonBody(c, claimJobRequest);
    const job = await claimRemoteJob(deps, { queues: body.queues, leaseSeconds: body.lease_seconds, worker: body.worker });
    if (!job) return c.json({ job: null });
    return c.json({
      job: {
        job_id: job.id,
        queue: job.queue,
        payload: job.payload,
        attempt: job.attempt,
        max_attempts: job.maxAttempts,
        lease_token: job.leaseToken,
        lease_expires_at: isoTime(job.leaseExpiresAt),
      },
    });
  });

  app.post("/api/v1/internal/jobs/:job_id/heartbeat", async (c) => {
    const { job_id } = jobIdParam.parse(c.req.param());
    const body = await readJsonBody(c, heartbeatRequest);
    const expiresAt = await extendRemoteLease(deps, job_id, body.lease_token, body.lease_seconds);
    return c.json({ lease_expires_at: isoTime(expiresAt) });
  });

  app.post("/api/v1/internal/jobs/:job_id/result", async (c) => {
    const { job_id } = jobIdParam.parse(c.req.param());
    const body = await readJsonBody(c, jobResultRequest);
    await completeRemoteJob(deps, job_id, body.lease_token, body.result);
    return c.json({ status: "done" as const });
  });

  app.post("/api/v1/internal/jobs/:job_id/failure", async (c) => {
    const { job_id } = jobIdParam.parse(c.req.param());
    const body = await readJsonBody(c, jobFailureRequest);
    return c.json({ outcome: await failRemoteJob(deps, job_id, body.lease_token, body.error, body.permanent) });
  });

  app.get("/api/v1/internal/chunks/:chunk_id/audio", async (c) => {
    const { chunk_id } = z.object({ chunk_id: uuidString }).parse(c.req.param());
    const audio = await readChunkAudio(deps, chunk_id);
    return c.body(audio.bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "audio/ogg",
      "X-Content-SHA256": audio.sha256,
      "Cache-Control": "private, max-age=3600",
    });
  });
}
