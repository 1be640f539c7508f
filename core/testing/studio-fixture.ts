import type { TestCore } from "./core-test-app.ts";
import { startTestPipeline, startTickingClock, waitFor } from "./pipeline-test-kit.ts";

export interface StudioFixtureCampaign {
  id: string;
  name: string;
  language: "ru" | "en";
  /** The speech engine's voice; its default for the language when absent. */
  voice?: string;
  csv: string;
  slots: Record<string, string>;
  /** Each lead's lines rephrased through the analysis's chat model (LLM_BASE_URL …). */
  rephrase?: boolean;
}

async function called(core: TestCore, method: string, path: string, body: string, contentType = "application/json"): Promise<void> {
  const response = await core.admin(path, { method, body, headers: { "content-type": contentType } });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/** Creates a studio campaign through the API with its leads and script, not generated yet. */
export async function createStudioCampaign(core: TestCore, campaign: StudioFixtureCampaign): Promise<void> {
  await called(core, "POST", "/api/v1/studio/campaigns", JSON.stringify({ id: campaign.id, name: campaign.name, language: campaign.language, voice: campaign.voice }));
  await called(core, "PUT", `/api/v1/studio/campaigns/${campaign.id}/leads`, campaign.csv, "text/csv");
  await called(core, "PUT", `/api/v1/studio/campaigns/${campaign.id}/script`, JSON.stringify({ slots: campaign.slots, rephrase: campaign.rephrase ?? false }));
}

/** The core's pipeline on a clock that moves, so idle slots wake for a lead queued later (a page's "generate again"). */
export function startStudioPipeline(core: TestCore): { stop(): Promise<void> } {
  const ticking = startTickingClock(core.clock);
  const pipeline = startTestPipeline(core, { vad: false });
  return {
    async stop() {
      ticking.stop();
      await pipeline.stop();
    },
  };
}

/** Waits until the campaign is no longer generating; its state (ready or failed). */
export function studioCampaignSettled(core: TestCore, id: string): Promise<string> {
  return waitFor(`studio campaign ${id} to settle`, async () => {
    const campaign = (await (await core.admin(`/api/v1/studio/campaigns/${id}`)).json()) as { state: string };
    return campaign.state === "ready" || campaign.state === "failed" ? campaign.state : null;
  });
}

/** A campaign generated with espeak-ng by the core's pipeline (startStudioPipeline, running); its final state. */
export async function generateStudioCampaign(core: TestCore, campaign: StudioFixtureCampaign): Promise<string> {
  await createStudioCampaign(core, campaign);
  await called(core, "POST", `/api/v1/studio/campaigns/${campaign.id}/generate`, "");
  return studioCampaignSettled(core, campaign.id);
}
