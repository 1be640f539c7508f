import { describe, expect, test } from "bun:test";
import { chooseDid, type DidCandidate, distanceKm } from "./did-selection.ts";

function did(id: string, changes: Partial<DidCandidate> = {}): DidCandidate {
  return { id, phoneNumber: id, areaCode: null, state: null, location: null, dailyLimit: null, usedToday: 0, attempts: 0, answered: 0, ...changes };
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const options = { priorRate: 0.3, priorWeight: 20, nearbyKm: 80, random: seeded(7) };
const sanFrancisco = { latitude: 37.77, longitude: -122.42 };
const oakland = { latitude: 37.8, longitude: -122.27 };
const losAngeles = { latitude: 34.05, longitude: -118.24 };
const newYork = { latitude: 40.71, longitude: -74.0 };

describe("chooseDid", () => {
  test("prefers the customer's area code, then the nearest DIDs, then the state, then the whole pool", () => {
    const pool = [
      did("la", { areaCode: "213", state: "CA", location: losAngeles }),
      did("oak", { areaCode: "510", state: "CA", location: oakland }),
      did("ny", { areaCode: "212", state: "NY", location: newYork }),
      did("plain", { areaCode: "999" }),
    ];
    expect(chooseDid(pool, { areaCode: "510", state: null, location: null }, options)).toMatchObject({ did: { id: "oak" }, method: "area_code", tierSize: 1 });
    expect(chooseDid(pool, { areaCode: "415", state: "CA", location: sanFrancisco }, options)).toMatchObject({ did: { id: "oak" }, method: "nearest", tierSize: 1 });
    const byState = chooseDid(pool, { areaCode: "415", state: "NY", location: null }, options);
    expect(byState).toMatchObject({ did: { id: "ny" }, method: "state" });
    expect(chooseDid(pool, { areaCode: null, state: null, location: null }, options)).toMatchObject({ method: "pool", tierSize: 4, available: 4 });
  });

  test("DIDs at their daily limit are skipped; a pool with none left yields nothing", () => {
    const pool = [did("tired", { areaCode: "415", dailyLimit: 100, usedToday: 100 }), did("fresh", { areaCode: "650", dailyLimit: 100, usedToday: 3 })];
    expect(chooseDid(pool, { areaCode: "415", state: null, location: null }, options)).toMatchObject({ did: { id: "fresh" }, method: "pool", available: 1 });
    expect(chooseDid([pool[0]!], { areaCode: "415", state: null, location: null }, options)).toBeNull();
    expect(chooseDid([], { areaCode: "415", state: null, location: null }, options)).toBeNull();
  });

  test("picks are weighted by rolling answer rate and by the daily limit left", () => {
    const count = (pool: DidCandidate[], draws: number) => {
      const random = seeded(42);
      const picks = new Map<string, number>();
      for (let index = 0; index < draws; index++) {
        const id = chooseDid(pool, { areaCode: null, state: null, location: null }, { ...options, random })!.did.id;
        picks.set(id, (picks.get(id) ?? 0) + 1);
      }
      return picks;
    };
    const byRate = count([did("good", { attempts: 1000, answered: 400 }), did("bad", { attempts: 1000, answered: 50 })], 4000);
    // 0.4 against 0.05 (smoothed): about eight picks of the good DID for one of the bad.
    expect(byRate.get("good")! / byRate.get("bad")!).toBeGreaterThan(5);
    expect(byRate.get("bad")!).toBeGreaterThan(0);

    const byLimit = count([did("spent", { dailyLimit: 100, usedToday: 90 }), did("rested", { dailyLimit: 100, usedToday: 0 })], 4000);
    expect(byLimit.get("rested")! / byLimit.get("spent")!).toBeGreaterThan(6);

    const newcomer = count([did("veteran", { attempts: 5000, answered: 1500 }), did("new")], 4000);
    expect(newcomer.get("new")! / newcomer.get("veteran")!).toBeGreaterThan(0.8);
  });

  test("distances are great-circle kilometres", () => {
    expect(Math.round(distanceKm(sanFrancisco, losAngeles))).toBeGreaterThan(540);
    expect(Math.round(distanceKm(sanFrancisco, losAngeles))).toBeLessThan(570);
    expect(distanceKm(newYork, newYork)).toBe(0);
  });
});
