import { randomUUID } from "node:crypto";
import { insertAnalysedDialogue } from "../analytics/analytics.testing.ts";
import type { CoreDatabase } from "../db/core-database.ts";

/** A month of analysed dialogues at two points for looking at the dashboard (screenshots); seeded, so the same every run. */
export async function insertDashboardMonth(db: CoreDatabase, lastDay = Date.UTC(2026, 4, 31)): Promise<{ points: string[] }> {
  let seed = 11;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const points = [randomUUID(), randomUUID()];
  const reactions = ["accepted", "declined", "considering", "no_reaction"] as const;
  const text = "Добрый день. Хотите гарантию и чехол к телефону? Да, давайте чехол.";
  for (let index = 0; index < 400; index++) {
    const upsell = random() < 0.6;
    const day = Math.floor(random() * 30);
    // Shop hours 09:00–20:00 local (UTC+2), busiest around midday.
    const hour = 7 + Math.min(10, Math.floor((random() + random()) * 5.5));
    await insertAnalysedDialogue(db, {
      pointId: points[index % 2]!,
      registerId: points[index % 2]!,
      startTs: lastDay - day * 86_400_000 + hour * 3_600_000 + Math.floor(random() * 3_600_000),
      upsell,
      reaction: upsell ? reactions[Math.floor(random() * 4)]! : "not_applicable",
      quality: upsell ? 5 + Math.floor(random() * 6) : Math.floor(random() * 6),
      offers: upsell ? (random() < 0.5 ? [{ category: "warranty", quote: "гарантию" }] : [{ category: "accessory", quote: "чехол" }]) : [],
      text,
    });
  }
  return { points };
}
