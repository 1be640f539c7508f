import { ApiError, api, byId, clearMessage, confirmAction, csrfHeaders, element, progressBar, showMessage, startPage } from "../../shared/pages/browser/page-kit.ts";
import { type ImportRecord, phaseName, type RollbackRecord, renderHistory, renderReport } from "./browser/import-view.ts";
import { type CampaignSummary, fallbackPromptOf } from "./browser/campaign-summary.ts";
import { readManifestPreview } from "./browser/package-manifest.ts";

const kit = startPage<null>();
const form = byId<HTMLFormElement>("upload-form");
const input = byId<HTMLInputElement>("package");
const uploadButton = byId<HTMLButtonElement>("upload");
const busy = byId("busy");
const uploadError = byId("upload-error");
const outcome = byId("outcome");
const reportView = byId("report");
const uploadBar = progressBar("upload-progress");
const importBar = progressBar("import-progress");
let uploading = false;
let watchTimer: ReturnType<typeof setTimeout> | undefined;

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function openReport(importId: number): Promise<void> {
  const [record, summary] = await Promise.all([api<ImportRecord>(kit, `/operator/api/imports/${importId}`), api<CampaignSummary>(kit, "/operator/api/campaign")]);
  if (record.report) renderReport(kit, reportView, record.report, { fallback: fallbackPromptOf(kit, summary, importId), focus: true });
}

/** Reloads the history; while someone else's import runs, Upload stays disabled and says why. */
async function refresh(): Promise<ImportRecord | null> {
  clearTimeout(watchTimer);
  const history = await api<{ imports: ImportRecord[]; rollbacks?: RollbackRecord[] }>(kit, "/operator/api/imports?limit=15");
  renderHistory(kit, byId("history"), history, (id) => void openReport(id), 6);
  const running = history.imports.find((record) => record.state === "running") ?? null;
  if (running && !uploading) {
    showMessage(busy, "info", kit.say("importer.busyTitle"), kit.say("importer.busy", { id: running.id, file: running.file_name, phase: phaseName(kit, running.phase) }));
    uploadButton.disabled = true;
    uploadButton.setAttribute("aria-describedby", "busy");
    watchTimer = setTimeout(() => void refresh().catch(() => {}), 1000);
  } else if (!running) {
    clearMessage(busy);
    uploadButton.removeAttribute("aria-describedby");
    uploadButton.disabled = uploading;
  }
  return running;
}

function showProgress(record: ImportRecord): void {
  const progress = record.progress;
  let fraction = 0;
  let detail = "";
  const value = (key: string) => progress[key] ?? 0;
  if (record.phase === "leads" && progress.leads_expected) {
    fraction = value("leads_read") / value("leads_expected");
    detail = kit.say("importer.leadsProgress", { done: value("leads_read"), total: value("leads_expected") });
  } else if (record.phase === "audio" && progress.audio_bytes_expected) {
    fraction = value("audio_bytes_done") / value("audio_bytes_expected");
    detail = kit.say("importer.audioProgress", { done: value("audio_done"), total: value("audio_expected"), bytesDone: kit.bytes(value("audio_bytes_done")), bytesTotal: kit.bytes(value("audio_bytes_expected")) });
  } else if (["checking", "deploying", "done"].includes(record.phase)) {
    fraction = 1;
  }
  if (value("problems") > 0) detail += `${detail ? " · " : ""}${kit.say("importer.problemsSoFar", { count: value("problems") })}`;
  importBar.set(fraction, phaseName(kit, record.phase), detail);
}

async function followImport(importId: number): Promise<ImportRecord> {
  importBar.show();
  for (;;) {
    const record = await api<ImportRecord>(kit, `/operator/api/imports/${importId}`);
    if (record.state === "running") {
      showProgress(record);
      await pause(400);
      continue;
    }
    const deployed = record.report?.outcome === "deployed";
    const problems = record.report?.problem_count ?? 0;
    importBar.finish(
      deployed ? "ok" : "bad",
      kit.say(deployed ? "importer.finishedOk" : record.report?.outcome === "failed" ? "importer.finishedFailed" : "importer.finishedBad"),
      deployed ? "" : kit.say("report.problems", { count: problems }),
    );
    if (record.report) {
      const summary = await api<CampaignSummary>(kit, "/operator/api/campaign");
      renderReport(kit, reportView, record.report, { fallback: fallbackPromptOf(kit, summary, importId), focus: true });
    }
    return record;
  }
}

function send(file: File): Promise<{ import_id: number }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/operator/api/imports");
    request.setRequestHeader("content-type", "application/zip");
    for (const [name, value] of Object.entries(csrfHeaders)) request.setRequestHeader(name, value);
    request.setRequestHeader("x-file-name", encodeURIComponent(file.name));
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) uploadBar.set(event.loaded / event.total, kit.say("importer.uploading", { file: file.name }), kit.say("importer.uploadDetail", { done: kit.bytes(event.loaded), total: kit.bytes(event.total) }));
    });
    request.addEventListener("load", () => {
      let body: { import_id?: number; error?: { code?: string; message?: string } } | null = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {}
      if (request.status === 202 && body?.import_id) resolve({ import_id: body.import_id });
      else reject(new ApiError(body?.error?.message ?? kit.say("kit.requestFailed", { status: request.status }), request.status, body?.error?.code ?? null, null));
    });
    request.addEventListener("error", () => reject(new ApiError(kit.say("kit.connectionLost"), 0, null, null)));
    request.send(file);
  });
}

async function confirmDeploy(file: File): Promise<boolean> {
  const [summary, preview] = await Promise.all([api<CampaignSummary>(kit, "/operator/api/campaign"), readManifestPreview(file)]);
  const lines: Array<HTMLElement> = [
    element(
      "p",
      { "data-goes-live": "" },
      preview
        ? kit.say(preview.leadCount === null ? "importer.confirmCampaign" : "importer.confirmCampaignLeads", { campaign: preview.campaignId, name: preview.campaignName, count: preview.leadCount ?? 0 })
        : kit.say("importer.confirmLive"),
    ),
  ];
  if (summary.active) lines.push(element("p", { text: kit.say("importer.confirmReplaces", { name: summary.active.campaign_name, campaign: summary.active.campaign_id, id: summary.active.import_id }) }));
  else lines.push(element("p", { text: kit.say("importer.confirmFirst") }));
  if (summary.active && summary.previous) lines.push(element("p", { text: kit.say("importer.confirmRetires", { name: summary.previous.campaign_name ?? summary.previous.campaign_id ?? "", id: summary.previous.import_id }) }));
  return confirmAction(kit, { title: kit.say("importer.confirmTitle", { file: file.name }), body: lines, confirm: kit.say("importer.confirm") });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage(uploadError);
  const file = input.files?.[0];
  if (!file) {
    showMessage(uploadError, "bad", kit.say("importer.chooseFile"));
    input.focus();
    return;
  }
  // Nothing is sent while another import runs: the page checks first and says so.
  if (await refresh()) {
    busy.focus();
    return;
  }
  if (!(await confirmDeploy(file))) return;
  uploading = true;
  uploadButton.disabled = true;
  clearMessage(outcome);
  reportView.hidden = true;
  importBar.hide();
  uploadBar.show();
  uploadBar.set(0, kit.say("importer.uploading", { file: file.name }));
  try {
    const started = await send(file);
    uploadBar.finish("ok", kit.say("importer.uploading", { file: file.name }), kit.bytes(file.size));
    await followImport(started.import_id);
  } catch (error) {
    uploadBar.hide();
    showMessage(uploadError, "bad", kit.say("importer.refusedUpload"), (error as Error).message);
    uploadError.setAttribute("tabindex", "-1");
    uploadError.focus();
  } finally {
    uploading = false;
    await refresh().catch(() => {});
  }
});

busy.setAttribute("tabindex", "-1");
void refresh();
