/**
 * Small file-system helpers shared by the stages: existence, size and removal that treat a missing file as an answer,
 * not an error (other errors are rethrown).
 *
 * @module
 */

/** Whether `path` exists (following symbolic links); errors other than NotFound are rethrown. */
export async function pathExists(path: string): Promise<boolean> {
  return (await fileSize(path)) !== undefined;
}

/** Size of `path` in bytes; `undefined` when it does not exist. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Remove the file at `path` if it is there. */
export async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
