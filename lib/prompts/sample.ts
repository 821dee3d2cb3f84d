/**
 * Seeded sampling of element combinations that balances coverage: classes are visited round-robin, and within a
 * class the least-used event, then the least-used compatible location, subject and viewpoint are chosen (ties
 * broken by the seeded generator).
 *
 * @module
 */
import {
  type Catalogue,
  eventFitsLocation,
  type PromptElements,
  subjectFitsLocation,
  viewpointFitsLocation,
} from "./catalogue.ts";
import { createRandom, type Random } from "../io/random.ts";
import { shuffled } from "./_random.ts";

/** Options of {@link sampleElements}. */
export interface SampleElementsOptions {
  /** Seed of the generator. @default 0 */
  seed?: number;
  /** Restrict to these event classes (e.g. the 13 UCF-Crime ones); all classes when omitted. @default undefined */
  classes?: string[];
}

/** Defaults of {@link sampleElements}. */
export const DEFAULT_SAMPLE_ELEMENTS_OPTIONS: Required<Omit<SampleElementsOptions, "classes">> = { seed: 0 };

function leastUsed<T extends { id: string }>(items: T[], counts: Map<string, number>, random: Random): T {
  const order = shuffled(random, items);
  let best = order[0];
  for (const item of order) if ((counts.get(item.id) ?? 0) < (counts.get(best.id) ?? 0)) best = item;
  counts.set(best.id, (counts.get(best.id) ?? 0) + 1);
  return best;
}

/**
 * Sample `count` plausible element combinations, balanced over classes, events and locations.
 *
 * @example
 * ```ts ignore
 * import { loadCatalogue } from "./catalogue.ts";
 * import { sampleElements } from "./sample.ts";
 * const elements = sampleElements(await loadCatalogue(), 26, { seed: 7 }); // two per class
 * ```
 */
export function sampleElements(
  catalogue: Catalogue,
  count: number,
  options: SampleElementsOptions = {},
): PromptElements[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot sample elements as count must be a non-negative integer: current value is ${count}`);
  }
  const seed = options.seed ?? DEFAULT_SAMPLE_ELEMENTS_OPTIONS.seed;
  const random = createRandom(seed);
  const allClasses = [...new Set(catalogue.events.map((e) => e.class))];
  const classes = options.classes ?? allClasses;
  for (const name of classes) {
    if (!allClasses.includes(name)) {
      throw new RangeError(
        `Cannot sample elements as class ${name} has no event in the catalogue: allowed ${allClasses.join(", ")}`,
      );
    }
  }
  if (classes.length === 0) {
    throw new RangeError("Cannot sample elements as the class list is empty: current value is []");
  }
  const used = { event: new Map<string, number>(), location: new Map<string, number>() };
  const usedSubject = new Map<string, number>();
  const usedViewpoint = new Map<string, number>();
  const out: PromptElements[] = [];
  let round: string[] = [];
  while (out.length < count) {
    if (round.length === 0) round = shuffled(random, classes);
    const className = round.shift()!;
    const event = leastUsed(catalogue.events.filter((e) => e.class === className), used.event, random);
    const locations = catalogue.locations.filter((l) =>
      eventFitsLocation(event, l) && catalogue.viewpoints.some((v) => viewpointFitsLocation(v, l)) &&
      catalogue.subjects.some((s) => event.subjectKinds.includes(s.kind) && subjectFitsLocation(s, l))
    );
    const location = leastUsed(locations, used.location, random);
    const subject = leastUsed(
      catalogue.subjects.filter((s) => event.subjectKinds.includes(s.kind) && subjectFitsLocation(s, location)),
      usedSubject,
      random,
    );
    const viewpoint = leastUsed(
      catalogue.viewpoints.filter((v) => viewpointFitsLocation(v, location)),
      usedViewpoint,
      random,
    );
    out.push({ viewpoint: viewpoint.id, location: location.id, subject: subject.id, event: event.id });
  }
  return out;
}
