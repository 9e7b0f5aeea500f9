import type { StrategyName } from "../../../shared/contracts/llm.ts";
import { consensus } from "./consensus.ts";
import { fallback } from "./fallback.ts";
import { parallel } from "./parallel.ts";
import { race } from "./race.ts";
import type { Strategy } from "./strategy.ts";

export const strategies: Record<StrategyName, Strategy> = { single: fallback, fallback, parallel, race, consensus };
export type { RunTarget, Strategy, StrategyOptions } from "./strategy.ts";
