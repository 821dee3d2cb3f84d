/**
 * NumPy `.npy` read and write (format versions 1.0, 2.0 and 3.0 on read; 1.0 or 2.0 on write).
 *
 * Supported dtypes: float32, float64, int32, int64, uint8, bool, little-endian (or byte-order free), C order.
 * Anything else (Fortran order, object or structured dtypes, big-endian data, a truncated body, a header whose
 * shape disagrees with the body size) is an error that names the file.
 *
 * @module
 */
import { writeFileAtomic } from "./atomic.ts";

/** Element types supported by {@linkcode encodeNpy} and {@linkcode decodeNpy}. */
export type NpyDtype = "float32" | "float64" | "int32" | "int64" | "uint8" | "bool";
/** Typed-array storage for each dtype (`bool` is stored as 0/1 bytes in a `Uint8Array`). */
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
/** An n-dimensional C-order array. `data.length` equals the product of `shape`. */
export interface NpyArray {
  /** Flat C-order values. */
  data: NpyData;
  /** Dimensions; `[]` is a scalar (one value). */
  shape: number[];
  /** Element type. */
  dtype: NpyDtype;
}

/** Options of {@linkcode encodeNpy}. */
export interface EncodeNpyOptions {
  /**
   * Format version to write. `undefined` picks 1.0, or 2.0 when the header does not fit in 1.0 (as NumPy does).
   * @default {undefined}
   */
  version?: 1 | 2;
}

/** All supported dtypes, in a stable order (useful for error messages and tests). */
export const NPY_DTYPES: readonly NpyDtype[] = ["float32", "float64", "int32", "int64", "uint8", "bool"];

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

const DESCR_OF: Record<NpyDtype, string> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
  bool: "|b1",
};

const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

function where(source?: string): string {
  return source === undefined ? "" : ` in ${source}`;
}

function dataMatchesDtype(data: NpyData, dtype: NpyDtype): boolean {
  switch (dtype) {
    case "float32":
      return data instanceof Float32Array;
    case "float64":
      return data instanceof Float64Array;
    case "int32":
      return data instanceof Int32Array;
    case "int64":
      return data instanceof BigInt64Array;
    case "uint8":
    case "bool":
      return data instanceof Uint8Array;
  }
}

function checkShape(shape: number[], length: number, action: string, source?: string): void {
  if (!Array.isArray(shape)) {
    throw new TypeError(`Cannot ${action} as shape must be an array${where(source)}: current value is ${shape}`);
  }
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new RangeError(
        `Cannot ${action} as every dimension must be a non-negative integer${where(source)}: current value is [${
          shape.join(", ")
        }]`,
      );
    }
    count *= dim;
  }
  if (count !== length) {
    throw new RangeError(
      `Cannot ${action} as the shape [${shape.join(", ")}] holds ${count} values but the data has ${length}${
        where(source)
      }: current value is ${length}`,
    );
  }
}

function pythonShape(shape: number[]): string {
  if (shape.length === 0) return "()";
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(", ")})`;
}

/**
 * Encode an array as `.npy` bytes, byte-identical to what NumPy 1.24 `np.save` writes for the same array.
 *
 * @example
 * ```ts
 * import { encodeNpy } from "./npy.ts";
 * const bytes = encodeNpy({ data: new Float32Array([1, 2, 3]), shape: [3], dtype: "float32" });
 * ```
 */
export function encodeNpy(array: NpyArray, options: EncodeNpyOptions = {}): Uint8Array {
  const { data, shape, dtype } = array;
  if (!(dtype in DESCR_OF)) {
    throw new TypeError(
      `Cannot encode .npy as dtype must be one of ${NPY_DTYPES.join(", ")}: current value is ${String(dtype)}`,
    );
  }
  if (!dataMatchesDtype(data, dtype)) {
    throw new TypeError(
      `Cannot encode .npy as the data array does not match dtype ${dtype}: current value is ${data?.constructor?.name}`,
    );
  }
  checkShape(shape, data.length, "encode .npy");
  let header = `{'descr': '${DESCR_OF[dtype]}', 'fortran_order': False, 'shape': ${pythonShape(shape)}, }`;
  if (shape.length > 0) header += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const headerBytes = new TextEncoder().encode(header);
  const hlen = headerBytes.length + 1; // trailing newline
  const v1Total = hlen + (ARRAY_ALIGN - ((6 + 2 + 2 + hlen) % ARRAY_ALIGN));
  const version = options.version ?? (v1Total > 0xffff ? 2 : 1);
  const lenSize = version === 1 ? 2 : 4;
  const padLen = ARRAY_ALIGN - ((6 + 2 + lenSize + hlen) % ARRAY_ALIGN);
  const totalHeader = hlen + padLen;
  if (version === 1 && totalHeader > 0xffff) {
    throw new RangeError(
      `Cannot encode .npy version 1.0 as the header must fit in 65535 bytes: current value is ${totalHeader}`,
    );
  }
  if (!littleEndianHost()) {
    throw new RangeError("Cannot encode .npy as this host is big-endian: current value is big-endian");
  }
  const prefix = 6 + 2 + lenSize;
  const bodyBytes = data.byteLength;
  const out = new Uint8Array(prefix + totalHeader + bodyBytes);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, totalHeader, true);
  else view.setUint32(8, totalHeader, true);
  out.set(headerBytes, prefix);
  out.fill(0x20, prefix + headerBytes.length, prefix + totalHeader - 1);
  out[prefix + totalHeader - 1] = 0x0a;
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), prefix + totalHeader);
  return out;
}

let hostLittle: boolean | undefined;
function littleEndianHost(): boolean {
  if (hostLittle === undefined) hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  return hostLittle;
}

interface ParsedHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parse the Python dict literal of a `.npy` header (only the three standard keys, literals only). */
function parseHeader(text: string, source?: string): ParsedHeader {
  const fail = (why: string): never => {
    throw new SyntaxError(
      `Cannot parse .npy header as ${why}${where(source)}: current value is ${JSON.stringify(text.trim())}`,
    );
  };
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const expect = (ch: string) => {
    ws();
    if (text[i] !== ch) fail(`'${ch}' was expected at offset ${i}`);
    i++;
  };
  const str = (): string => {
    ws();
    const quote = text[i];
    if (quote !== "'" && quote !== '"') return fail(`a string was expected at offset ${i}`);
    const end = text.indexOf(quote, i + 1);
    if (end < 0) return fail("a string is not terminated");
    const value = text.slice(i + 1, end);
    i = end + 1;
    return value;
  };
  const value = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === "'" || ch === '"') return str();
    if (text.startsWith("True", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("False", i)) {
      i += 5;
      return false;
    }
    if (ch === "(") {
      i++;
      const items: number[] = [];
      for (;;) {
        ws();
        if (text[i] === ")") {
          i++;
          return items;
        }
        const m = /^\d+L?/.exec(text.slice(i));
        if (!m) return fail(`a shape dimension was expected at offset ${i}`);
        items.push(Number(m[0].replace("L", "")));
        i += m[0].length;
        ws();
        if (text[i] === ",") i++;
        else if (text[i] !== ")") fail(`',' or ')' was expected at offset ${i}`);
      }
    }
    if (ch === "[" || ch === "{") return fail("structured dtypes are not supported");
    return fail(`an unsupported value starts at offset ${i}`);
  };
  const dict: Record<string, unknown> = {};
  expect("{");
  for (;;) {
    ws();
    if (text[i] === "}") {
      i++;
      break;
    }
    const key = str();
    expect(":");
    dict[key] = value();
    ws();
    if (text[i] === ",") i++;
    else if (text[i] !== "}") fail(`',' or '}' was expected at offset ${i}`);
  }
  ws();
  if (i !== text.length) fail("there is text after the dictionary");
  const keys = Object.keys(dict).sort().join(",");
  if (keys !== "descr,fortran_order,shape") fail("the keys must be exactly descr, fortran_order, shape");
  if (typeof dict.descr !== "string") fail("descr must be a string (structured dtypes are not supported)");
  if (typeof dict.fortran_order !== "boolean") fail("fortran_order must be True or False");
  if (!Array.isArray(dict.shape)) fail("shape must be a tuple");
  return { descr: dict.descr as string, fortranOrder: dict.fortran_order as boolean, shape: dict.shape as number[] };
}

function dtypeOfDescr(descr: string, source?: string): NpyDtype {
  const order = descr[0];
  const kind = descr.slice(1);
  const byKind: Record<string, NpyDtype> = {
    f4: "float32",
    f8: "float64",
    i4: "int32",
    i8: "int64",
    u1: "uint8",
    b1: "bool",
  };
  const dtype = byKind[kind];
  if (order === ">" && dtype !== undefined && kind !== "u1" && kind !== "b1") {
    throw new TypeError(
      `Cannot decode .npy as big-endian data is not supported${where(source)}: current value is '${descr}'`,
    );
  }
  if (dtype === undefined || !["<", "|", "="].includes(order) && !(order === ">" && ITEM_SIZE[dtype] === 1)) {
    const hint = descr.startsWith("|O") ? " (object arrays are not supported)" : "";
    throw new TypeError(
      `Cannot decode .npy as dtype must be one of ${Object.values(DESCR_OF).join(", ")}${hint}${
        where(source)
      }: current value is '${descr}'`,
    );
  }
  if (order === "=" && !littleEndianHost()) {
    throw new TypeError(
      `Cannot decode .npy as native big-endian data is not supported${where(source)}: current value is '${descr}'`,
    );
  }
  return dtype;
}

/** Parse magic, version and header; `bytes` must hold at least the whole header. */
function parsePrefix(bytes: Uint8Array, source?: string): NpyHeader & { count: number } {
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new SyntaxError(
      `Cannot decode .npy as the file must start with the magic string \\x93NUMPY${where(source)}: current value is ${
        bytes.length < 10
          ? `${bytes.length} bytes`
          : JSON.stringify(new TextDecoder("latin1").decode(bytes.slice(0, 6)))
      }`,
    );
  }
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3) {
    throw new SyntaxError(
      `Cannot decode .npy as the format version must be 1.0, 2.0 or 3.0${where(source)}: current value is ${major}.${
        bytes[7]
      }`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) {
    throw new SyntaxError(
      `Cannot decode .npy as the header is truncated${where(source)}: current value is ${bytes.length} bytes`,
    );
  }
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenSize;
  const offset = start + headerLen;
  if (offset > bytes.length) {
    throw new SyntaxError(
      `Cannot decode .npy as the header is truncated (it declares ${headerLen} bytes)${
        where(source)
      }: current value is ${bytes.length - start} bytes`,
    );
  }
  const headerText = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, offset));
  const header = parseHeader(headerText, source);
  const dtype = dtypeOfDescr(header.descr, source);
  if (header.fortranOrder) {
    throw new TypeError(
      `Cannot decode .npy as only C order is supported${where(source)}: current value is fortran_order True`,
    );
  }
  let count = 1;
  for (const dim of header.shape) count *= dim;
  if (!Number.isSafeInteger(count)) {
    throw new RangeError(
      `Cannot decode .npy as the shape is too large${where(source)}: current value is [${header.shape.join(", ")}]`,
    );
  }
  return { dtype, shape: header.shape, version: major, dataOffset: offset, count };
}

/** Throw unless the body holds exactly `count` items; returns the body size in bytes. */
function checkBodySize(shape: number[], dtype: NpyDtype, count: number, bodyBytes: number, source?: string): number {
  const needed = count * ITEM_SIZE[dtype];
  if (bodyBytes !== needed) {
    const what = bodyBytes < needed ? "the body is truncated" : "the body is longer than the header says";
    throw new RangeError(
      `Cannot decode .npy as ${what}: shape [${shape.join(", ")}] of ${dtype} needs ${needed} bytes${
        where(source)
      }: current value is ${bodyBytes} bytes`,
    );
  }
  return needed;
}

/**
 * Decode `.npy` bytes. `source` (a file name) is named in every error message.
 *
 * @example
 * ```ts
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * const a = decodeNpy(encodeNpy({ data: new Int32Array([7]), shape: [1], dtype: "int32" }));
 * ```
 */
export function decodeNpy(bytes: Uint8Array, source?: string): NpyArray {
  const { dtype, shape, dataOffset: offset, count } = parsePrefix(bytes, source);
  const needed = checkBodySize(shape, dtype, count, bytes.length - offset, source);
  const body = bytes.slice(offset, offset + needed).buffer;
  let data: NpyData;
  switch (dtype) {
    case "float32":
      data = new Float32Array(body);
      break;
    case "float64":
      data = new Float64Array(body);
      break;
    case "int32":
      data = new Int32Array(body);
      break;
    case "int64":
      data = new BigInt64Array(body);
      break;
    default:
      data = new Uint8Array(body);
  }
  return { data, shape, dtype };
}

/**
 * Read a `.npy` file. Errors name the file.
 *
 * @example
 * ```ts ignore
 * import { readNpy } from "./npy.ts";
 * const { data, shape } = await readNpy("features/Abuse028_x264.npy");
 * ```
 */
export async function readNpy(path: string): Promise<NpyArray> {
  using file = await openNpy(path);
  const { dtype, shape, dataOffset, count } = await readHeaderFrom(file, path);
  const data = allocate(dtype, count);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  await file.seek(dataOffset, Deno.SeekMode.Start);
  const got = await readInto(file, body);
  if (got !== body.length) checkBodySize(shape, dtype, count, got, path); // the file shrank while reading
  return { data, shape, dtype };
}

function allocate(dtype: NpyDtype, count: number): NpyData {
  switch (dtype) {
    case "float32":
      return new Float32Array(count);
    case "float64":
      return new Float64Array(count);
    case "int32":
      return new Int32Array(count);
    case "int64":
      return new BigInt64Array(count);
    default:
      return new Uint8Array(count);
  }
}

/**
 * Write a `.npy` file atomically (temporary file + rename; parent folders are created).
 *
 * @example
 * ```ts ignore
 * import { writeNpy } from "./npy.ts";
 * await writeNpy("out/labels.npy", { data: new Uint8Array([0, 1]), shape: [2], dtype: "uint8" });
 * ```
 */
export async function writeNpy(path: string, array: NpyArray, options: EncodeNpyOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array, options));
}

/** What a `.npy` header says, without the body. */
export interface NpyHeader {
  /** Element type. */
  dtype: NpyDtype;
  /** Dimensions. */
  shape: number[];
  /** Format major version (1, 2 or 3). */
  version: number;
  /** Byte offset of the body. */
  dataOffset: number;
}

/**
 * Read only the header of a `.npy` file (shape and dtype without loading the body), checking that the file size
 * matches it.
 *
 * @example
 * ```ts ignore
 * import { readNpyHeader } from "./npy.ts";
 * const { shape } = await readNpyHeader("features/Abuse028_x264__0.npy");
 * ```
 */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  using file = await openNpy(path);
  const { dtype, shape, version, dataOffset } = await readHeaderFrom(file, path);
  return { dtype, shape, version, dataOffset };
}

async function openNpy(path: string): Promise<Deno.FsFile> {
  try {
    const file = await Deno.open(path, { read: true });
    if ((await file.stat()).isDirectory) {
      file.close();
      throw new TypeError(`Cannot read .npy as the path is a folder, not a file: current value is ${path}`);
    }
    return file;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Deno.errors.NotFound(`Cannot read .npy as the file does not exist: current value is ${path}`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function readInto(file: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let got = 0;
  while (got < buffer.length) {
    const k = await file.read(buffer.subarray(got));
    if (k === null) break;
    got += k;
  }
  return got;
}

/** Read and check the header from the start of an open file (the file size must match the header). */
async function readHeaderFrom(file: Deno.FsFile, path: string): Promise<NpyHeader & { count: number }> {
  const size = (await file.stat()).size;
  const prefix = new Uint8Array(12);
  const got = await readInto(file, prefix);
  let headerLen = 0;
  let lenSize = 2;
  if (got >= 10 && MAGIC.every((b, k) => prefix[k] === b)) {
    lenSize = prefix[6] === 1 ? 2 : 4;
    const view = new DataView(prefix.buffer);
    headerLen = lenSize === 2 ? view.getUint16(8, true) : got >= 12 ? view.getUint32(8, true) : 0;
  }
  const start = 8 + lenSize;
  const head = new Uint8Array(Math.max(got, Math.min(start + headerLen, size)));
  head.set(prefix.subarray(0, got));
  const more = await readInto(file, head.subarray(got));
  const header = parsePrefix(head.subarray(0, got + more), path);
  checkBodySize(header.shape, header.dtype, header.count, size - header.dataOffset, path);
  return header;
}
