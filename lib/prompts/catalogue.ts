/**
 * Element catalogues (camera viewpoints, locations, subjects, anomalous events) loaded from `prompts/elements/`,
 * validated, and the compatibility rules that keep sampled scenes plausible.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Default folder holding `elements/` and `templates/`. */
export const DEFAULT_PROMPTS_DIR: string = fileURLToPath(new URL("../../prompts/", import.meta.url));

/** A subject's kind; events and locations declare which kinds they accept. */
export type SubjectKind = "person" | "vehicle";

/** Allowed subject kinds. */
export const SUBJECT_KINDS: readonly SubjectKind[] = ["person", "vehicle"];

/** Camera viewpoint. */
export interface Viewpoint {
  /** Stable id. */
  id: string;
  /** Sentence opener, e.g. "From a ceiling-mounted security camera". */
  text: string;
  /** Short phrase, e.g. "from the ceiling". */
  short: string;
  /** Compatible location tags ("*" = any). */
  locations: string[];
}

/** Location (the scene). */
export interface Location {
  /** Stable id. */
  id: string;
  /** Prepositional phrase, e.g. "in a small convenience store". */
  in: string;
  /** Tags that viewpoints, subjects and events match against. */
  tags: string[];
  /** Words a description of this location should mention (any one). */
  keywords: string[];
  /** Normal activities per subject kind (third person singular, no subject). */
  activities: Partial<Record<SubjectKind, string[]>>;
  /** Normal background life. */
  ambient: string[];
}

/** Main subject of the scene. */
export interface Subject {
  /** Stable id. */
  id: string;
  /** Noun phrase introducing the subject, e.g. "a man in a dark hoodie". */
  text: string;
  /** How later clauses refer to the subject, e.g. "the man". */
  ref: string;
  /** Person or vehicle. */
  kind: SubjectKind;
  /** Compatible location tags ("*" = any). */
  locations: string[];
}

/** Anomalous event. */
export interface AnomalyEvent {
  /** Stable id. */
  id: string;
  /** UCF-Crime class name (or an extra class when `ucfCrime` is false). */
  class: string;
  /** Whether `class` is one of the UCF-Crime classes. */
  ucfCrime: boolean;
  /** Third-person clause about the subject's ref. */
  action: string;
  /** Compatible location tags ("*" = any). */
  locations: string[];
  /** Subject kinds that can carry out the event. */
  subjectKinds: SubjectKind[];
  /** Words an anomalous description should contain (any one) and a normal one should not. */
  keywords: string[];
}

/** All catalogues. */
export interface Catalogue {
  /** Camera viewpoints. */
  viewpoints: Viewpoint[];
  /** Locations. */
  locations: Location[];
  /** Main subjects. */
  subjects: Subject[];
  /** Anomalous events. */
  events: AnomalyEvent[];
}

/** The 13 anomaly classes of UCF-Crime. */
export const UCF_CRIME_CLASSES: readonly string[] = [
  "Abuse",
  "Arrest",
  "Arson",
  "Assault",
  "Burglary",
  "Explosion",
  "Fighting",
  "RoadAccidents",
  "Robbery",
  "Shooting",
  "Shoplifting",
  "Stealing",
  "Vandalism",
];

/** One sampled combination of element ids. */
export interface PromptElements {
  /** Viewpoint id. */
  viewpoint: string;
  /** Location id. */
  location: string;
  /** Subject id. */
  subject: string;
  /** Anomalous event id. */
  event: string;
}

function tagsMatch(wanted: readonly string[], tags: readonly string[]): boolean {
  return wanted.includes("*") || wanted.some((tag) => tags.includes(tag));
}

/** Whether `subject` fits `location` (tags and the location has activities for the subject's kind). */
export function subjectFitsLocation(subject: Subject, location: Location): boolean {
  return tagsMatch(subject.locations, location.tags) && (location.activities[subject.kind]?.length ?? 0) > 0;
}

/** Whether `event` can happen at `location`. */
export function eventFitsLocation(event: AnomalyEvent, location: Location): boolean {
  return tagsMatch(event.locations, location.tags);
}

/** Whether `viewpoint` suits `location`. */
export function viewpointFitsLocation(viewpoint: Viewpoint, location: Location): boolean {
  return tagsMatch(viewpoint.locations, location.tags);
}

/** Whether the four elements form a plausible scene. */
export function isCompatible(catalogue: Catalogue, elements: PromptElements): boolean {
  const { viewpoint, location, subject, event } = resolveElements(catalogue, elements);
  return viewpointFitsLocation(viewpoint, location) && subjectFitsLocation(subject, location) &&
    eventFitsLocation(event, location) && event.subjectKinds.includes(subject.kind);
}

/** The resolved elements of a pair. */
export interface ResolvedElements {
  /** Camera viewpoint. */
  viewpoint: Viewpoint;
  /** Location. */
  location: Location;
  /** Main subject. */
  subject: Subject;
  /** Anomalous event. */
  event: AnomalyEvent;
}

function byId<T extends { id: string }>(items: T[], id: string, what: string): T {
  const found = items.find((item) => item.id === id);
  if (!found) {
    throw new RangeError(
      `Cannot resolve ${what} as it is not in the catalogue: current value is ${JSON.stringify(id)} (allowed: ${
        items.map((i) => i.id).join(", ")
      })`,
    );
  }
  return found;
}

/** Look up the element objects of `elements`; throws RangeError naming an unknown id. */
export function resolveElements(catalogue: Catalogue, elements: PromptElements): ResolvedElements {
  return {
    viewpoint: byId(catalogue.viewpoints, elements.viewpoint, "viewpoint"),
    location: byId(catalogue.locations, elements.location, "location"),
    subject: byId(catalogue.subjects, elements.subject, "subject"),
    event: byId(catalogue.events, elements.event, "event"),
  };
}

function requireStrings(value: unknown, field: string, source: string, allowEmpty = false): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string") || (!allowEmpty && value.length === 0)) {
    throw new TypeError(
      `Cannot load ${source} as ${field} must be a non-empty array of strings: current value is ${
        JSON.stringify(value)
      }`,
    );
  }
  return value as string[];
}

function requireString(value: unknown, field: string, source: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot load ${source} as ${field} must be a non-empty string: current value is ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function requireUniqueIds(items: { id: string }[], source: string): void {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) throw new SyntaxError(`Cannot load ${source} as ids must be unique: current value is ${id}`);
    seen.add(id);
  }
}

/**
 * Validate a parsed catalogue: field types, unique ids, known subject kinds, and that every event has at least
 * one compatible location and subject. Throws TypeError/SyntaxError naming `source` and the offending field.
 */
export function validateCatalogue(catalogue: Catalogue, source = "catalogue"): Catalogue {
  for (const [key, list] of Object.entries(catalogue)) {
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`Cannot load ${source} as ${key} must be a non-empty array: current value is ${list}`);
    }
  }
  for (const v of catalogue.viewpoints) {
    const where = `${source} viewpoint ${v.id}`;
    requireString(v.id, "id", where), requireString(v.text, "text", where), requireString(v.short, "short", where);
    requireStrings(v.locations, "locations", where);
  }
  for (const l of catalogue.locations) {
    const where = `${source} location ${l.id}`;
    requireString(l.id, "id", where), requireString(l.in, "in", where);
    requireStrings(l.tags, "tags", where), requireStrings(l.keywords, "keywords", where);
    requireStrings(l.ambient, "ambient", where);
    if (typeof l.activities !== "object" || l.activities === null) {
      throw new TypeError(`Cannot load ${where} as activities must be an object: current value is ${l.activities}`);
    }
    for (const [kind, list] of Object.entries(l.activities)) {
      if (!SUBJECT_KINDS.includes(kind as SubjectKind)) {
        throw new RangeError(
          `Cannot load ${where} as activity kinds must be one of ${SUBJECT_KINDS.join(", ")}: current value is ${kind}`,
        );
      }
      requireStrings(list, `activities.${kind}`, where);
    }
  }
  for (const s of catalogue.subjects) {
    const where = `${source} subject ${s.id}`;
    requireString(s.id, "id", where), requireString(s.text, "text", where), requireString(s.ref, "ref", where);
    requireStrings(s.locations, "locations", where);
    if (!SUBJECT_KINDS.includes(s.kind)) {
      throw new RangeError(
        `Cannot load ${where} as kind must be one of ${SUBJECT_KINDS.join(", ")}: current value is ${s.kind}`,
      );
    }
  }
  for (const e of catalogue.events) {
    const where = `${source} event ${e.id}`;
    requireString(e.id, "id", where), requireString(e.class, "class", where);
    requireString(e.action, "action", where);
    requireStrings(e.locations, "locations", where), requireStrings(e.keywords, "keywords", where);
    requireStrings(e.subjectKinds, "subjectKinds", where);
    if (typeof e.ucfCrime !== "boolean") {
      throw new TypeError(`Cannot load ${where} as ucfCrime must be a boolean: current value is ${e.ucfCrime}`);
    }
    const fits = catalogue.locations.some((l) =>
      eventFitsLocation(e, l) &&
      catalogue.subjects.some((s) => e.subjectKinds.includes(s.kind) && subjectFitsLocation(s, l)) &&
      catalogue.viewpoints.some((v) => viewpointFitsLocation(v, l))
    );
    if (!fits) {
      throw new RangeError(`Cannot load ${where} as no location, subject and viewpoint combination fits it`);
    }
  }
  for (const list of Object.values(catalogue)) requireUniqueIds(list, source);
  return catalogue;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse ${path} as JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Load and validate the four catalogues from `<dir>/elements/{viewpoints,locations,subjects,events}.json`.
 *
 * @example
 * ```ts ignore
 * import { loadCatalogue } from "./catalogue.ts";
 * const catalogue = await loadCatalogue();
 * catalogue.events.length; // > 13
 * ```
 */
export async function loadCatalogue(dir: string = DEFAULT_PROMPTS_DIR): Promise<Catalogue> {
  const elements = join(dir, "elements");
  const catalogue: Catalogue = {
    viewpoints: (await readJson(join(elements, "viewpoints.json"))).viewpoints as Viewpoint[],
    locations: (await readJson(join(elements, "locations.json"))).locations as Location[],
    subjects: (await readJson(join(elements, "subjects.json"))).subjects as Subject[],
    events: (await readJson(join(elements, "events.json"))).events as AnomalyEvent[],
  };
  return validateCatalogue(catalogue, elements);
}
