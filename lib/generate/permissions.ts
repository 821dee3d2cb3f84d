/**
 * Network permission check for a configured base URL, with an error that says how to allow the host.
 *
 * @module
 */
import { redactUrl } from "./redact.ts";

/**
 * Throw `Deno.errors.NotCapable` when the process may not connect to `url`'s host (queried with
 * `Deno.permissions.query`, never prompting).
 *
 * @example
 * ```ts ignore
 * await assertNetPermission("http://127.0.0.1:8080/v1"); // ok under --allow-net=127.0.0.1
 * ```
 */
export async function assertNetPermission(url: string, what = "base URL"): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`Cannot use the ${what} as it is not a valid URL: current value is ${url}`, { cause: error });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new TypeError(`Cannot use the ${what} as it must be http(s): current value is ${redactUrl(url)}`);
  }
  const status = await Deno.permissions.query({ name: "net", host: parsed.host });
  if (status.state !== "granted") {
    // Shown without credentials or query: a provider's signed download URL carries its token there.
    throw new Deno.errors.NotCapable(
      `Cannot connect to ${parsed.host} as the net permission does not allow it: current value is ` +
        `${redactUrl(url)} ` +
        `(add the host to --allow-net in the task's line in deno.json, see docs/synthetic.md)`,
    );
  }
}
