import { ApiError, byId, clearMessage, element, emptyState, showMessage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage } from "./browser/admin-token.ts";
import { campaignStateBadge, problemList, studioErrorText } from "./browser/studio-campaign.ts";

interface ListedCampaign {
  id: string;
  name: string;
  language: "ru" | "en";
  state: string;
  leads: number;
  updated_at: string;
}

const kit = startDashboardPage();
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const voicePattern = /^[A-Za-z0-9_.+:/-]+$/;

async function loadCampaigns(): Promise<void> {
  const { campaigns } = await dashboardApi<{ campaigns: ListedCampaign[] }>(kit, "/api/v1/studio/campaigns");
  byId("campaign-rows").replaceChildren(
    ...campaigns.map((campaign) =>
      tableRow({ "data-campaign-id": campaign.id }, [
        { label: kit.say("studio.column.campaign"), content: [element("a", { href: `/studio/${encodeURIComponent(campaign.id)}`, text: campaign.name }), element("br"), element("small", { class: "muted", text: campaign.id })] },
        { label: kit.say("studio.column.language"), content: kit.say(`language.${campaign.language}`) },
        { label: kit.say("studio.column.state"), content: campaignStateBadge(kit, campaign.state) },
        { label: kit.say("studio.column.leads"), content: kit.number(campaign.leads), numeric: true },
        { label: kit.say("studio.column.updated"), content: kit.dateTime(campaign.updated_at) },
      ]),
    ),
  );
  if (campaigns.length === 0) byId("campaigns-message").replaceChildren(emptyState(kit.say("studio.none"), kit.say("studio.noneText")));
}

const form = byId<HTMLFormElement>("create-form");
const fields = { id: byId<HTMLInputElement>("campaign-id"), name: byId<HTMLInputElement>("campaign-name"), language: byId<HTMLSelectElement>("campaign-language"), voice: byId<HTMLInputElement>("campaign-voice") };
fields.language.value = kit.language;
const createMessage = byId("create-message");

/** Plain-words problems of the form, each with the field to go to. */
function formProblems(): Array<{ field: HTMLInputElement; text: string }> {
  const problems: Array<{ field: HTMLInputElement; text: string }> = [];
  if (!idPattern.test(fields.id.value.trim())) problems.push({ field: fields.id, text: kit.say("error.idInvalid") });
  if (fields.name.value.trim() === "") problems.push({ field: fields.name, text: kit.say("error.nameMissing") });
  const voice = fields.voice.value.trim();
  if (voice !== "" && !voicePattern.test(voice)) problems.push({ field: fields.voice, text: kit.say("error.voiceInvalid") });
  return problems;
}

function markInvalid(invalid: HTMLInputElement[]): void {
  for (const field of [fields.id, fields.name, fields.voice]) field.toggleAttribute("aria-invalid", invalid.includes(field));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessage(createMessage);
  const problems = formProblems();
  markInvalid(problems.map((problem) => problem.field));
  if (problems.length > 0) {
    showMessage(createMessage, "bad", kit.say("studio.createFailed"), problemList(problems.map((problem) => ({ title: problem.field.labels?.[0]?.textContent ?? "", text: problem.text }))));
    problems[0]!.field.focus();
    return;
  }
  const id = fields.id.value.trim();
  const voice = fields.voice.value.trim();
  const button = byId<HTMLButtonElement>("create");
  button.disabled = true;
  try {
    await dashboardApi(kit, "/api/v1/studio/campaigns", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, name: fields.name.value.trim(), language: fields.language.value, ...(voice ? { voice } : {}) }),
    });
    location.href = `/studio/${encodeURIComponent(id)}`;
  } catch (error) {
    button.disabled = false;
    const exists = error instanceof ApiError && error.code === "studio.campaign_exists";
    showMessage(createMessage, "bad", kit.say("studio.createFailed"), exists ? kit.say("error.campaignExists", { id }) : studioErrorText(kit, error));
    if (exists) {
      markInvalid([fields.id]);
      fields.id.select();
    }
  }
});

loadCampaigns()
  .then(() => {
    document.body.dataset.loaded = "true";
  })
  .catch((error: Error) => showMessage(byId("campaigns-message"), "bad", kit.say("kit.requestFailed", { status: "" }), studioErrorText(kit, error)));
