import { randomUUID } from "node:crypto";
import { insertAnalysedDialogue, insertRecording } from "../analytics/analytics.testing.ts";
import type { CoreDatabase } from "../db/core-database.ts";

/** A month of analysed dialogues at two points for looking at the dashboard (screenshots); seeded, so the same every run. */
export async function insertDashboardMonth(db: CoreDatabase, lastDay = Date.UTC(2026, 4, 31)): Promise<{ points: string[]; registers: string[] }> {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const points = [randomUUID(), randomUUID()];
  const registers = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const reactions = ["accepted", "declined", "considering", "no_reaction"] as const;
  const phrases = [
    { category: "warranty", quote: "Хотите гарантию на два года?" },
    { category: "warranty", quote: "Оформим страховку от поломки?" },
    { category: "warranty", quote: "Возьмёте продлённую гарантию?" },
    { category: "accessory", quote: "Нужен чехол к телефону?" },
    { category: "accessory", quote: "Защитное стекло поставить сразу?" },
    { category: "accessory", quote: "Зарядку в машину не нужно?" },
  ];
  for (let index = 0; index < 400; index++) {
    const upsell = random() < 0.6;
    const offer = phrases[Math.floor(random() * phrases.length)]!;
    // Some phrases work better than others: the first of each category is accepted more often.
    const reaction = upsell ? (random() < (phrases.indexOf(offer) % 3 === 0 ? 0.6 : 0.25) ? "accepted" : reactions[1 + Math.floor(random() * 3)]!) : "not_applicable";
    const day = Math.floor(random() * 30);
    // Shop hours 09:00–20:00 local (UTC+2), busiest around midday.
    const hour = 7 + Math.min(10, Math.floor((random() + random()) * 5.5));
    await insertAnalysedDialogue(db, {
      pointId: points[index % 2]!,
      registerId: registers[(index % 2) * 2 + Math.floor(random() * 2)]!,
      startTs: lastDay - day * 86_400_000 + hour * 3_600_000 + Math.floor(random() * 3_600_000),
      upsell,
      reaction,
      quality: upsell ? 5 + Math.floor(random() * 6) : Math.floor(random() * 6),
      offers: upsell ? [offer] : [],
      text: upsell ? `Добрый день. ${offer.quote} ${reaction === "accepted" ? "Да, давайте." : "Нет, спасибо."}` : "Добрый день. Пакет нужен? Нет, спасибо.",
    });
  }
  return { points, registers };
}

/**
 * Recorders at the month's points as the core sees them at `now` (10:00 local on the fake clock's day):
 * each recorded 08:00–20:00 local on the seven days before; today one went silent at 09:00, one had a
 * gap, one is sending; an evening recorder is off schedule and a new one has sent nothing yet.
 */
export async function insertDashboardRecorders(db: CoreDatabase, registerDevice: (place: { pointId: string; registerId: string }) => Promise<{ deviceId: string; pointId: string; registerId: string }>, places: { points: string[]; registers: string[] }, now: number): Promise<void> {
  const hour = 3_600_000;
  const midnight = now - 10 * hour;
  const recorders = [
    { place: 0, from: 8, to: 20, today: [[8, 9]] },
    { place: 1, from: 8, to: 20, today: [[8, 8.5], [9.25, 9.98]] },
    { place: 2, from: 8, to: 20, today: [[8, 9.98]] },
    { place: 3, from: 17, to: 22, today: [] },
    { place: 3, from: 0, to: 0, today: [] },
  ];
  for (const recorder of recorders) {
    const device = await registerDevice({ pointId: places.points[Math.floor(recorder.place / 2)]!, registerId: places.registers[recorder.place]! });
    for (let day = 7; day >= 1; day--) if (recorder.to > recorder.from) await insertRecording(db, device, midnight - day * 24 * hour + recorder.from * hour, midnight - day * 24 * hour + recorder.to * hour);
    for (const [from, to] of recorder.today) await insertRecording(db, device, midnight + from! * hour, midnight + to! * hour);
  }
}
