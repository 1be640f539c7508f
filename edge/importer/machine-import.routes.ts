import { z } from "zod";
import { campaignPackagesPath } from "../../shared/contracts/campaign-package-push.ts";
import { notFound } from "../../shared/http/app-error.ts";
import type { HttpApp } from "../../shared/http/create-http-app.ts";
import type { CampaignDeployment } from "../campaigns/campaigns.usecases.ts";
import { authenticateMachineKey, type MachineKeysDeps } from "../machine-keys/machine-keys.usecases.ts";
import { type BackgroundImports, startUploadedImport } from "./background-imports.ts";
import type { ImporterDeps } from "./campaign-import.usecases.ts";

const importIdParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const fileNamePattern = /^[^\u0000-\u001f\u007f/\\]{1,200}$/;

/**
 * The machine import endpoint (shared/contracts/campaign-package-push.ts): the importer page's upload
 * and import for a caller holding one of this edge's API keys. Each import is recorded as made by
 * `api-key:<name>`, so the history says which machine pushed it.
 */
export function registerMachineImportRoutes(app: HttpApp, deps: { importer: ImporterDeps; background: BackgroundImports; deployment: CampaignDeployment; machineKeys: MachineKeysDeps }): void {
  app.get(campaignPackagesPath, async (c) => {
    await authenticateMachineKey(deps.machineKeys, c.req.header("authorization"));
    const active = deps.deployment.served.current().active;
    c.header("Cache-Control", "no-store");
    return c.json({
      campaign: active ? { import_id: active.importId, id: active.campaignId, name: active.campaignName, leads: active.leads.length } : null,
      max_package_bytes: deps.importer.limits.maxPackageBytes,
    });
  });

  app.post(campaignPackagesPath, async (c) => {
    const key = await authenticateMachineKey(deps.machineKeys, c.req.header("authorization"));
    let fileName = "package.zip";
    try {
      const declared = decodeURIComponent(c.req.header("x-file-name") ?? fileName);
      if (fileNamePattern.test(declared)) fileName = declared;
    } catch {
      // A name that is not valid percent-encoding is only a label: keep the default.
    }
    try {
      const importId = await startUploadedImport(deps.importer, deps.background, {
        body: c.req.raw.body,
        declaredBytes: Number(c.req.header("content-length")),
        fileName,
        operator: `api-key:${key.name}`,
        source: "api",
      });
      return c.json({ import_id: importId, status_url: `${campaignPackagesPath}/${importId}` }, 202);
    } catch (error) {
      // Refused before the body was read (busy, shutting down): close instead of waiting for bytes nobody reads.
      c.header("Connection", "close");
      throw error;
    }
  });

  app.get(`${campaignPackagesPath}/:id`, async (c) => {
    await authenticateMachineKey(deps.machineKeys, c.req.header("authorization"));
    const record = await deps.importer.imports.findImport(importIdParam.parse(c.req.param("id")));
    // Only imports pushed through this endpoint: an operator's uploads are not a machine's business.
    if (!record || record.source !== "api") throw notFound("import.not_found", `no pushed import ${c.req.param("id")}`);
    c.header("Cache-Control", "no-store");
    return c.json({ import_id: record.id, state: record.state, phase: record.phase, report: record.report ?? null });
  });
}
