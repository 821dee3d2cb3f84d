/**
 * Versioned prompt templates (`prompts/templates/<version>.json`): LLM chat messages and the sentence patterns of
 * the offline template backend.
 *
 * @module
 */
import { join } from "node:path";
import { DEFAULT_PROMPTS_DIR, type ResolvedElements } from "./catalogue.ts";
import type { Random } from "../io/random.ts";
import { pick } from "./_random.ts";

/** A parsed template file. */
export interface PromptTemplate {
  /** Template version, e.g. `v1`. */
  version: string;
  /** Chat messages for LLM backends (`{placeholders}` filled from the elements). */
  llm: { system: string; user: string };
  /** Sentence patterns of the offline template backend. */
  template: { anomalous: string[]; normal: string[] };
}

/** The template version used when none is given. */
export const DEFAULT_PROMPT_VERSION = "v1";

/**
 * Load `prompts/templates/<version>.json` (or `dir/templates/<version>.json`) and validate its shape.
 *
 * @example
 * ```ts ignore
 * import { loadPromptTemplate } from "./template.ts";
 * const template = await loadPromptTemplate("v1");
 * ```
 */
export async function loadPromptTemplate(
  version: string = DEFAULT_PROMPT_VERSION,
  dir: string = DEFAULT_PROMPTS_DIR,
): Promise<PromptTemplate> {
  if (!/^[A-Za-z0-9._-]+$/.test(version)) {
    throw new RangeError(
      `Cannot load the prompt template as the version must be a plain name: current value is ${version}`,
    );
  }
  const path = join(dir, "templates", `${version}.json`);
  let value: PromptTemplate;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new SyntaxError(`Cannot parse ${path} as JSON: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const ok = typeof value?.version === "string" && typeof value.llm?.system === "string" &&
    typeof value.llm?.user === "string" && Array.isArray(value.template?.anomalous) &&
    value.template.anomalous.length > 0 && Array.isArray(value.template?.normal) && value.template.normal.length > 0;
  if (!ok) {
    throw new TypeError(
      `Cannot load ${path} as it must have version, llm.system, llm.user, template.anomalous[] and template.normal[]`,
    );
  }
  if (value.version !== version) {
    throw new RangeError(
      `Cannot load ${path} as its version field must match the file name: current value is ${value.version}`,
    );
  }
  return value;
}

function capitalize(text: string): string {
  return text.length === 0 ? text : text[0].toUpperCase() + text.slice(1);
}

/**
 * Replace `{name}` placeholders from `values`; `{Name}` inserts the value capitalised. Unknown placeholders throw a
 * RangeError naming them, so a template typo never reaches a prompt.
 */
export function fillPlaceholders(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
    const key = name[0].toLowerCase() + name.slice(1);
    const value = values[key];
    if (value === undefined) {
      throw new RangeError(
        `Cannot fill the template as placeholder {${name}} is unknown: allowed ${Object.keys(values).join(", ")}`,
      );
    }
    return name[0] === name[0].toUpperCase() ? capitalize(value) : value;
  });
}

/** Placeholder values describing the elements (shared by the LLM messages and the template backend). */
export function elementPlaceholders(resolved: ResolvedElements): Record<string, string> {
  return {
    viewpoint: resolved.viewpoint.text,
    short: resolved.viewpoint.short,
    in: resolved.location.in,
    location: resolved.location.in.replace(/^(in|at|on|inside) /, ""),
    subject: resolved.subject.text,
    ref: resolved.subject.ref,
    action: resolved.event.action,
    class: resolved.event.class,
  };
}

/**
 * Compose an anomalous and a normal description of the same scene from the template backend's patterns.
 * Deterministic for a given `random` state.
 *
 * @example
 * ```ts ignore
 * const { anomalous, normal } = composeTemplatePair(resolved, template, createRandom(1));
 * ```
 */
export function composeTemplatePair(
  resolved: ResolvedElements,
  template: PromptTemplate,
  random: Random,
): { anomalous: string; normal: string } {
  const activities = resolved.location.activities[resolved.subject.kind];
  if (!activities || activities.length === 0) {
    throw new RangeError(
      `Cannot compose a pair as location ${resolved.location.id} has no activity for subject kind: current value is ${resolved.subject.kind}`,
    );
  }
  const values = {
    ...elementPlaceholders(resolved),
    activity: pick(random, activities),
    ambient: pick(random, resolved.location.ambient),
  };
  const index = Math.floor(random() * Math.min(template.template.anomalous.length, template.template.normal.length));
  return {
    anomalous: fillPlaceholders(template.template.anomalous[index], values),
    normal: fillPlaceholders(template.template.normal[index], values),
  };
}
