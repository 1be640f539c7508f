import { customerReactions } from "../../../shared/contracts/analysis-jobs.ts";
import type { LocatedQuote } from "./quote-locator.ts";

export { customerReactions };
export type CustomerReaction = (typeof customerReactions)[number];

export interface UpsellOffer {
  /** One of the configured categories. */
  category: string;
  product: string | null;
  /** The seller's exact words, located in the transcript. */
  quote: LocatedQuote;
}

/** One analysis of one transcript, the same shape whether an LLM or the offline rules made it. */
export interface UpsellAnalysis {
  method: "llm" | "rules";
  model: string | null;
  language: string;
  upsellAttempted: boolean;
  offers: UpsellOffer[];
  customerReaction: CustomerReaction;
  customerQuote: LocatedQuote | null;
  /** 0–10 by `rubric`, stored beside the score so that later readers know what it meant. */
  qualityScore: number;
  rubric: string;
  qualityRationale: string;
  summary: string;
}
