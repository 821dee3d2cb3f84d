/**
 * Runs `fn` with a fresh temporary folder and removes the folder afterwards, whatever `fn` does.
 *
 * @param fn Receives the folder's path; its result is returned.
 * @param prefix Folder-name prefix, to tell test leftovers apart.
 */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>, prefix = "gvvad-test-"): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
