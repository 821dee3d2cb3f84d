import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { programAvailable, skipWhen } from "../_helpers/programs.ts";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeNpy,
  encodeNpy,
  NPY_DTYPES,
  type NpyArray,
  type NpyDtype,
  readNpy,
  readNpyHeader,
  writeNpy,
} from "../../lib/io/npy.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/io/npy/", import.meta.url));
const PYTHON = "/usr/bin/python3";

interface Expected {
  dtype: NpyDtype;
  shape: number[];
  values: (number | string)[];
}

function valuesOf(a: NpyArray): (number | string)[] {
  if (a.data instanceof BigInt64Array) return Array.from(a.data, (v) => v.toString());
  return Array.from(a.data as ArrayLike<number>);
}

function sampleArray(dtype: NpyDtype): NpyArray {
  switch (dtype) {
    case "float32":
      return { dtype, shape: [2, 3], data: new Float32Array([0.5, -1.25, 3, 1e-8, 65504, -0]) };
    case "float64":
      return { dtype, shape: [4], data: new Float64Array([0.1, -2.5, 1e300, 5e-324]) };
    case "int32":
      return { dtype, shape: [2, 2], data: new Int32Array([-2147483648, 2147483647, 0, -1]) };
    case "int64":
      return { dtype, shape: [3], data: new BigInt64Array([-9223372036854775808n, 9223372036854775807n, 42n]) };
    case "uint8":
      return { dtype, shape: [5], data: new Uint8Array([0, 1, 127, 128, 255]) };
    case "bool":
      return { dtype, shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) };
  }
}

Deno.test("readNpy() reads NumPy-written files of every dtype and header version", async (t) => {
  const expected = JSON.parse(await Deno.readTextFile(join(FIXTURES, "expected.json"))).files as Record<
    string,
    Expected
  >;
  for (const [name, want] of Object.entries(expected)) {
    await t.step(name, async () => {
      const a = await readNpy(join(FIXTURES, name));
      strictEqual(a.dtype, want.dtype);
      deepStrictEqual(a.shape, want.shape);
      deepStrictEqual(valuesOf(a), want.values);
    });
  }
});

Deno.test("encodeNpy() writes the same bytes as NumPy's np.save", async (t) => {
  const files: [string, NpyArray][] = [
    ["float32_2x3.npy", sampleArray("float32")],
    ["float64_4.npy", sampleArray("float64")],
    ["int32_2x2.npy", sampleArray("int32")],
    ["int64_3.npy", sampleArray("int64")],
    ["uint8_5.npy", sampleArray("uint8")],
    ["bool_2x2.npy", sampleArray("bool")],
    ["float64_scalar.npy", { dtype: "float64", shape: [], data: new Float64Array([2.75]) }],
    ["float32_0x3.npy", { dtype: "float32", shape: [0, 3], data: new Float32Array(0) }],
    ["float32_2x1x3.npy", { dtype: "float32", shape: [2, 1, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }],
  ];
  for (const [name, array] of files) {
    await t.step(name, async () => {
      deepStrictEqual(encodeNpy(array), await Deno.readFile(join(FIXTURES, name)));
    });
  }
  await t.step("float32_2x3_v2.npy (version 2.0 requested)", async () => {
    deepStrictEqual(
      encodeNpy(sampleArray("float32"), { version: 2 }),
      await Deno.readFile(join(FIXTURES, "float32_2x3_v2.npy")),
    );
  });
});

Deno.test("decodeNpy() round-trips every dtype through encodeNpy()", async (t) => {
  for (const dtype of NPY_DTYPES) {
    for (const version of [1, 2] as const) {
      await t.step(`${dtype} v${version}`, () => {
        const a = sampleArray(dtype);
        const b = decodeNpy(encodeNpy(a, { version }));
        deepStrictEqual(b, a);
      });
    }
  }
});

Deno.test("encodeNpy() switches to version 2.0 when the header does not fit version 1.0", () => {
  const shape = new Array(30000).fill(1);
  const bytes = encodeNpy({ dtype: "uint8", shape, data: new Uint8Array([7]) });
  strictEqual(bytes[6], 2);
  const back = decodeNpy(bytes);
  strictEqual(back.shape.length, 30000);
  deepStrictEqual(Array.from(back.data as Uint8Array), [7]);
  throws(() => encodeNpy({ dtype: "uint8", shape, data: new Uint8Array([7]) }, { version: 1 }), RangeError);
});

Deno.test("decodeNpy() output data is aligned and independent of the input buffer", () => {
  const bytes = encodeNpy(sampleArray("float64"));
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  const a = decodeNpy(shifted.subarray(3));
  shifted.fill(0);
  deepStrictEqual(Array.from(a.data as Float64Array), [0.1, -2.5, 1e300, 5e-324]);
});

Deno.test("readNpy() rejects unsupported or corrupt files with an error naming the file", async (t) => {
  const cases: [string, ErrorConstructor, RegExp][] = [
    ["bad_fortran.npy", TypeError, /C order/],
    ["bad_bigendian.npy", TypeError, /big-endian/],
    ["bad_object.npy", TypeError, /object arrays are not supported/],
    ["bad_complex.npy", TypeError, /dtype must be one of/],
    ["bad_structured.npy", SyntaxError, /structured dtypes are not supported/],
    ["bad_truncated.npy", RangeError, /body is truncated/],
    ["bad_lying_header.npy", RangeError, /body is truncated/],
    ["bad_trailing_bytes.npy", RangeError, /longer than the header says/],
    ["bad_magic.npy", SyntaxError, /magic string/],
  ];
  for (const [name, ErrorClass, pattern] of cases) {
    await t.step(name, async () => {
      const path = join(FIXTURES, name);
      await rejects(readNpy(path), (error: Error) => {
        ok(error instanceof ErrorClass, `${name}: ${error.constructor.name}: ${error.message}`);
        ok(pattern.test(error.message), error.message);
        ok(error.message.includes(path), `message names the file: ${error.message}`);
        return true;
      });
    });
  }
  await t.step("missing file", async () => {
    await rejects(readNpy(join(FIXTURES, "nope.npy")), /nope\.npy/);
  });
  await t.step("empty bytes", () => {
    throws(() => decodeNpy(new Uint8Array(0), "empty.npy"), /empty\.npy/);
  });
  await t.step("header length pointing past the end", () => {
    const bytes = encodeNpy(sampleArray("uint8")).slice(0, 40);
    throws(() => decodeNpy(bytes, "short.npy"), (e: Error) => e instanceof SyntaxError && /short\.npy/.test(e.message));
  });
});

Deno.test("encodeNpy() rejects a shape that disagrees with the data, or data of another dtype", async (t) => {
  await t.step("shape product", () => {
    throws(() => encodeNpy({ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }), RangeError);
  });
  await t.step("negative dimension", () => {
    throws(() => encodeNpy({ dtype: "float32", shape: [-1], data: new Float32Array(0) }), RangeError);
  });
  await t.step("typed array mismatch", () => {
    throws(() => encodeNpy({ dtype: "float64", shape: [2], data: new Float32Array(2) }), TypeError);
  });
  await t.step("unknown dtype", () => {
    throws(
      () => encodeNpy({ dtype: "float16" as NpyDtype, shape: [1], data: new Float32Array(1) }),
      /must be one of float32, float64, int32, int64, uint8, bool/,
    );
  });
});

const NUMPY_TEST = "writeNpy() files load unchanged in NumPy";
const numpyMissing = skipWhen(
  !await programAvailable(PYTHON, ["-c", "import numpy"]),
  NUMPY_TEST,
  `${PYTHON} with numpy is not installed (apt python3-numpy; an optional cross-check)`,
);

Deno.test({ name: NUMPY_TEST, ignore: numpyMissing }, async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const arrays: Record<string, NpyArray> = {};
    for (const dtype of NPY_DTYPES) arrays[dtype] = sampleArray(dtype);
    arrays.scalar = { dtype: "float32", shape: [], data: new Float32Array([1.5]) };
    arrays.v2 = sampleArray("int32");
    for (const [name, array] of Object.entries(arrays)) {
      await writeNpy(join(dir, `${name}.npy`), array, name === "v2" ? { version: 2 } : {});
    }
    const script = [
      "import json, sys, numpy as np",
      "out = {}",
      "for name in sys.argv[2:]:",
      "    a = np.load(sys.argv[1] + '/' + name + '.npy')",
      "    v = [str(int(x)) if a.dtype == np.int64 else (int(x) if a.dtype == np.bool_ else x.item()) for x in a.ravel()]",
      "    out[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': v, 'c': bool(a.flags.c_contiguous)}",
      "print(json.dumps(out))",
    ].join("\n");
    const res = await new Deno.Command(PYTHON, { args: ["-c", script, dir, ...Object.keys(arrays)] }).output();
    ok(res.success, new TextDecoder().decode(res.stderr));
    const loaded = JSON.parse(new TextDecoder().decode(res.stdout));
    for (const [name, array] of Object.entries(arrays)) {
      await t.step(name, () => {
        const got = loaded[name];
        strictEqual(got.dtype, array.dtype);
        deepStrictEqual(got.shape, array.shape);
        ok(got.c);
        deepStrictEqual(got.values.map((v: number | string) => (Object.is(v, -0) ? -0 : v)), valuesOf(array));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readNpyHeader() reads shape and dtype without the body and checks the file size", async (t) => {
  await t.step("valid v1", async () => {
    deepStrictEqual(await readNpyHeader(join(FIXTURES, "float32_2x3.npy")), {
      dtype: "float32",
      shape: [2, 3],
      version: 1,
      dataOffset: 128,
    });
  });
  await t.step("valid v2", async () => {
    const h = await readNpyHeader(join(FIXTURES, "float32_2x3_v2.npy"));
    deepStrictEqual([h.dtype, h.shape, h.version], ["float32", [2, 3], 2]);
  });
  for (const name of ["bad_truncated.npy", "bad_lying_header.npy", "bad_trailing_bytes.npy", "bad_fortran.npy"]) {
    await t.step(name, async () => {
      const path = join(FIXTURES, name);
      await rejects(readNpyHeader(path), (e: Error) => e.message.includes(path));
    });
  }
});
