import { html, type SafeHtml } from "../../shared/pages/html.ts";
import { card, dataTable, messageRegion } from "../../shared/pages/page-parts.ts";
import { defineWords } from "../../shared/pages/words.ts";
import type { Say } from "../pages/core-page.ts";

/** The agent console's dispositions, as VICIdial names them (the call-results store reads them alike). */
export const consoleDispositions = ["SALE", "CALLBK", "NI", "DNC", "NP", "DEC"] as const;

/** The agent console: the phone (Voice SDK), the call with the agent, the campaign's queue and its controls; the script fills them from the socket. */
export function dialerConsoleMain(say: Say): SafeHtml {
  return html`<h1 id="console-heading">${say("console.title")}</h1>
<p class="muted" id="campaign-name"></p>
${messageRegion("console-message", "assertive")}
${card(
  { id: "phone", heading: say("console.phone") },
  html`<p><span id="phone-state" class="badge">${say("console.phone.off")}</span> <span id="agent-state" class="muted"></span></p>
<div class="row"><button class="primary" type="button" id="join">${say("console.join")}</button><button class="plain" type="button" id="leave" hidden>${say("console.leave")}</button></div>
<p class="hint">${say("console.phone.hint")}</p>`,
)}
${card(
  { id: "current", heading: say("console.current") },
  html`<dl class="facts" id="current-call"><dt>${say("console.call.phone")}</dt><dd id="current-phone">–</dd><dt>${say("console.call.state")}</dt><dd id="current-state">${say("console.call.none")}</dd></dl>
<form id="disposition-form" class="row">
  <div><label for="disposition">${say("console.disposition")}</label>
  <select id="disposition" name="disposition" disabled>${consoleDispositions.map((code) => html`<option value="${code}">${say(`console.disposition.${code}`)}</option>`)}</select></div>
  <div><button class="primary" type="submit" id="save-disposition" disabled>${say("console.disposition.save")}</button></div>
</form>`,
)}
${card(
  { id: "campaign", heading: say("console.campaign") },
  html`<div class="figures">
  <figure><b id="figure-pending">–</b><figcaption>${say("console.figure.pending")}</figcaption></figure>
  <figure><b id="figure-connected">–</b><figcaption>${say("console.figure.connected")}</figcaption></figure>
  <figure><b id="figure-abandon">–</b><figcaption>${say("console.figure.abandon")}</figcaption></figure>
  <figure><b id="figure-lines">–</b><figcaption>${say("console.figure.lines")}</figcaption></figure>
</div>
<div class="row"><button class="primary" type="button" id="dial-next">${say("console.dialNext")}</button><button class="danger" type="button" id="end-campaign">${say("console.end")}</button></div>`,
)}
${card(
  { id: "queue", heading: say("console.queue") },
  dataTable({ id: "queue-rows", caption: say("console.queue"), captionHidden: true, columns: [{ label: say("console.call.phone") }, { label: say("console.call.state") }, { label: say("console.call.waiting"), numeric: true }] }),
)}`;
}

export const dialerConsoleWords = defineWords(
  {
    "console.title": "Agent console",
    "console.phone": "Phone",
    "console.phone.off": "Not connected",
    "console.phone.connecting": "Connecting…",
    "console.phone.on": "In your conference",
    "console.phone.hint": "Join puts your browser's phone into your conference; customers the dialer finds are brought to you there.",
    "console.phone.failed": "The phone could not reach Twilio: {reason}. Check the network and the microphone permission, then join again.",
    "console.join": "Join",
    "console.leave": "Leave",
    "console.agent.available": "Waiting for a customer",
    "console.agent.busy": "With a customer",
    "console.agent.away": "Away",
    "console.agent.absent": "Not joined yet",
    "console.current": "Your call",
    "console.call.phone": "Phone number",
    "console.call.state": "State",
    "console.call.waiting": "Waiting",
    "console.call.none": "No call yet",
    "console.disposition": "Disposition",
    "console.disposition.SALE": "Sale",
    "console.disposition.CALLBK": "Call back",
    "console.disposition.NI": "Not interested",
    "console.disposition.DNC": "Do not call",
    "console.disposition.NP": "No pitch",
    "console.disposition.DEC": "Declined sale",
    "console.disposition.save": "Save disposition",
    "console.disposition.saved": "Disposition {disposition} saved for {phone}.",
    "console.campaign": "Campaign",
    "console.figure.pending": "Leads left",
    "console.figure.connected": "Connected",
    "console.figure.abandon": "Abandon rate",
    "console.figure.lines": "Lines per agent",
    "console.dialNext": "Dial next",
    "console.dialed": "Dialling {count} lines.",
    "console.nothingToDial": "No line was free or no lead is left: nothing was dialled.",
    "console.end": "End campaign",
    "console.end.title": "End this campaign?",
    "console.end.body": "Calls not yet with an agent are hung up and no lead is dialled again. Calls with an agent go on.",
    "console.ended": "The campaign has ended.",
    "console.queue": "Calls in progress",
    "console.queue.empty": "No calls in progress",
    "console.queue.emptyText": "Press Dial next to start dialling.",
    "console.live.lost": "The live connection dropped; reconnecting…",
    "console.live.refused": "The live connection was refused: sign in as an operator to use the console.",
    "state.placing": "Placing",
    "state.placed": "Placed",
    "state.ringing": "Ringing",
    "state.answered": "Answered",
    "state.queued": "On hold",
    "state.human": "Person, waiting",
    "state.machine": "Machine",
    "state.unknown": "Unsure, waiting",
    "state.bridged": "Connected",
    "state.ended": "Ended",
  },
  {
    "console.title": "Пульт оператора",
    "console.phone": "Телефон",
    "console.phone.off": "Не подключён",
    "console.phone.connecting": "Подключение…",
    "console.phone.on": "В вашей конференции",
    "console.phone.hint": "«Подключиться» ставит телефон браузера в вашу конференцию; клиентов, до которых дозвонился обзвон, соединят с вами там.",
    "console.phone.failed": "Телефон не смог связаться с Twilio: {reason}. Проверьте сеть и доступ к микрофону и подключитесь снова.",
    "console.join": "Подключиться",
    "console.leave": "Отключиться",
    "console.agent.available": "Ждёте клиента",
    "console.agent.busy": "Говорите с клиентом",
    "console.agent.away": "Нет на месте",
    "console.agent.absent": "Ещё не подключены",
    "console.current": "Ваш звонок",
    "console.call.phone": "Номер",
    "console.call.state": "Состояние",
    "console.call.waiting": "Ждёт",
    "console.call.none": "Звонка пока нет",
    "console.disposition": "Итог",
    "console.disposition.SALE": "Продажа",
    "console.disposition.CALLBK": "Перезвонить",
    "console.disposition.NI": "Не интересно",
    "console.disposition.DNC": "Не звонить",
    "console.disposition.NP": "Без предложения",
    "console.disposition.DEC": "Отказ от покупки",
    "console.disposition.save": "Сохранить итог",
    "console.disposition.saved": "Итог {disposition} сохранён для {phone}.",
    "console.campaign": "Кампания",
    "console.figure.pending": "Осталось лидов",
    "console.figure.connected": "Соединено",
    "console.figure.abandon": "Доля брошенных",
    "console.figure.lines": "Линий на оператора",
    "console.dialNext": "Звонить дальше",
    "console.dialed": "Набираем линий: {count}.",
    "console.nothingToDial": "Свободных линий или лидов нет: ничего не набрано.",
    "console.end": "Завершить кампанию",
    "console.end.title": "Завершить кампанию?",
    "console.end.body": "Звонки, ещё не соединённые с оператором, будут сброшены, и лиды больше не наберутся. Звонки с оператором продолжатся.",
    "console.ended": "Кампания завершена.",
    "console.queue": "Звонки в работе",
    "console.queue.empty": "Звонков в работе нет",
    "console.queue.emptyText": "Нажмите «Звонить дальше», чтобы начать обзвон.",
    "console.live.lost": "Связь с сервером прервалась; переподключаемся…",
    "console.live.refused": "Сервер отказал в подключении: войдите как оператор, чтобы работать с пультом.",
    "state.placing": "Набор",
    "state.placed": "Вызов",
    "state.ringing": "Звонит",
    "state.answered": "Ответили",
    "state.queued": "На удержании",
    "state.human": "Человек, ждёт",
    "state.machine": "Автоответчик",
    "state.unknown": "Неясно, ждёт",
    "state.bridged": "Соединён",
    "state.ended": "Завершён",
  },
);
