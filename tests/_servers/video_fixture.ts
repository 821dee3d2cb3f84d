/**
 * A small real MP4 for the provider servers, rendered once per process with ffmpeg (64×48, 16 frames).
 * @module
 */
import { renderProceduralVideo } from "../../lib/video/render.ts";

let cached: Promise<Uint8Array> | undefined;

/** The bytes of a tiny valid H.264 MP4. */
export function tinyVideo(): Promise<Uint8Array> {
  cached ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "gvvad-tiny-video-" });
    try {
      const path = `${dir}/tiny.mp4`;
      await renderProceduralVideo({
        width: 64,
        height: 48,
        fps: 8,
        frames: 16,
        background: "0x336699",
        noise: 20,
        seed: 7,
        shapes: [{ color: "0xffcc00", width: 8, height: 12, x: 4, y: 20, vx: 20, bob: 2 }],
        events: [],
      }, path);
      return await Deno.readFile(path);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return cached;
}
