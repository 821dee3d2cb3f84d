/**
 * Internal file-system helpers of lib/io.
 * @module
 */

/** Whether `path` exists (following symbolic links); errors other than NotFound are rethrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
