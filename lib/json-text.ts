/**
 * JSON stored as text in a column, typed by what it holds. `JsonText<T>` is a
 * string at run time (the column's SQL is unchanged: `text`); the type says
 * what `JSON.parse` gives back, so a read site needs no cast and a write site
 * cannot store the wrong shape. db/schema.ts gives each JSON column its type
 * with drizzle's `.$type<JsonText<…>>()`. Pure.
 */
declare const holds: unique symbol;

/** The JSON text of a `T`. */
export type JsonText<T> = string & { readonly [holds]: T };

/** A value as the JSON text its column stores. */
export function toJsonText<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

/** The value a JSON column holds (the type comes from the column). */
export function parseJsonText<T>(text: JsonText<T>): T {
  return JSON.parse(text) as T;
}
