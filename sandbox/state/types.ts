/**
 * Type plumbing the carriers' state models share: keying zod schemas by an SDK's own types, and
 * compile-time checks against the SDKs.
 */
import type { z } from "zod";

/** One zod schema per field of `T`, no more, no less (excess keys fail the object literal check). */
export type Fields<T> = { [K in keyof T]-?: z.ZodType<Exclude<T[K], undefined>> };

/** `true` when A and B are the same type (for compile-time checks against the SDKs). */
export type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
