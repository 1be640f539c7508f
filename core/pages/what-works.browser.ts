import { byId, element, emptyState, showMessage, tableRow } from "../../shared/pages/browser/page-kit.ts";
import { dashboardApi, startDashboardPage } from "./browser/admin-token.ts";
import { fillPointChoice, periodOfAddress } from "./browser/period-query.ts";

interface WhatWorks {
  timezone: string;
  from: string;
  to: string;
  categories: Array<{
    category: string;
    label: { en: string; ru: string } | null;
    phrases: Array<{ phrase: string; offers: number; accepted: number; acceptance_rate: number; dialogues: Array<{ dialogue_id: string; start_ts: string }> }>;
  }>;
}

const kit = startDashboardPage();
const period = periodOfAddress(30);
const percent = new Intl.NumberFormat(kit.language, { style: "percent", maximumFractionDigits: 1 });

async function load(): Promise<void> {
  const [found] = await Promise.all([dashboardApi<WhatWorks>(kit, `/api/v1/analytics/what-works?${period.query}`), fillPointChoice(kit, period)]);
  byId("range").textContent = kit.say("overview.range", { from: found.from, to: found.to, timezone: found.timezone });
  const localTime = new Intl.DateTimeFormat(kit.language, { dateStyle: "medium", timeStyle: "short", timeZone: found.timezone });
  const target = byId("what-works-categories");
  target.replaceChildren(
    ...found.categories.map((category) => {
      const name = category.label ? category.label[kit.language] : category.category;
      const headingId = `category-${category.category}`;
      const rows = category.phrases.map((phrase) => {
        const list = new URLSearchParams({ from: found.from, to: found.to, category: category.category, q: phrase.phrase });
        if (period.pointId) list.set("point_id", period.pointId);
        const links = phrase.dialogues.map((dialogue) => {
          const time = localTime.format(new Date(dialogue.start_ts));
          return element("li", {}, element("a", { href: `/dialogues/${dialogue.dialogue_id}`, "aria-label": kit.say("whatWorks.dialogueLabel", { time }), text: time }));
        });
        const all = element("a", { href: `/dialogues?${list}`, "data-all": "", "aria-label": kit.say("whatWorks.allLabel", { category: name, phrase: phrase.phrase }), text: kit.say("whatWorks.all") });
        return tableRow({ "data-phrase": phrase.phrase }, [
          { label: kit.say("whatWorks.phrase"), content: element("q", { text: phrase.phrase }) },
          { label: kit.say("whatWorks.accepted"), content: kit.number(phrase.accepted), numeric: true },
          { label: kit.say("whatWorks.offered"), content: kit.number(phrase.offers), numeric: true },
          { label: kit.say("whatWorks.share"), content: percent.format(phrase.acceptance_rate), numeric: true },
          { label: kit.say("whatWorks.dialogues"), content: element("div", {}, element("ul", { class: "links" }, ...links), all) },
        ]);
      });
      const columns = ["whatWorks.phrase", "whatWorks.accepted", "whatWorks.offered", "whatWorks.share", "whatWorks.dialogues"];
      return element(
        "section",
        { class: "card", "aria-labelledby": headingId, "data-category": category.category },
        element("h2", { id: headingId, text: name }),
        element(
          "div",
          { class: "table-wrap" },
          element(
            "table",
            { class: "cards" },
            element("caption", { class: "visually-hidden", text: name }),
            element("thead", {}, element("tr", {}, ...columns.map((key, index) => element("th", { scope: "col", class: index > 0 && index < 4 ? "number" : undefined, text: kit.say(key) })))),
            element("tbody", {}, ...rows),
          ),
        ),
      );
    }),
  );
  if (found.categories.length === 0) target.replaceChildren(element("section", { class: "card" }, emptyState(kit.say("whatWorks.none"), kit.say("whatWorks.noneText"))));
  document.body.dataset.loaded = "true";
}

load().catch((error: Error) => showMessage(byId("what-works-message"), "bad", kit.say("kit.requestFailed", { status: "" }), error.message));
