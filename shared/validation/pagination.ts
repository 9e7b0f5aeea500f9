/**
 * `limit` and `offset` of every list action. The offset has a ceiling too: without one,
 * `offset=9999999999999999999999` passed as the integer 1e22, which SQL receives as `1e+22` and
 * both databases refuse with a 500. No list is paged that deep.
 */
export const MAX_LIST_OFFSET = 1_000_000_000;

export const listLimitParam = { type: "number", integer: true, min: 1, max: 100, default: 20, convert: true } as const;

export const listOffsetParam = { type: "number", integer: true, min: 0, max: MAX_LIST_OFFSET, default: 0, convert: true } as const;
