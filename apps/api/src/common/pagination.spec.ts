import type { Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { MAX_LINK_HEADER, setPaginationHeaders } from './pagination.js';

/** Runs setPaginationHeaders for `url` and returns the headers it set. */
function headersFor(url: string, page: number, total: number): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = { setHeader: (name: string, value: string) => (headers[name] = value) };
  setPaginationHeaders(
    { originalUrl: url, app: { locals: {} } } as unknown as Request,
    response as unknown as Response,
    { page, perPage: 25, offset: (page - 1) * 25 },
    total,
  );
  return headers;
}

describe('pagination headers', () => {
  it('link the other pages, keeping the query but never access_token', () => {
    const headers = headersFor('/v0/devices?q%5Bname%5D=kit&access_token=secret&page=2', 2, 100);
    expect(headers.Link).toBe(
      [
        '</v0/devices?q%5Bname%5D=kit&page=1&per_page=25>; rel="first"',
        '</v0/devices?q%5Bname%5D=kit&page=1&per_page=25>; rel="prev"',
        '</v0/devices?q%5Bname%5D=kit&page=3&per_page=25>; rel="next"',
        '</v0/devices?q%5Bname%5D=kit&page=4&per_page=25>; rel="last"',
      ].join(', '),
    );
    expect(headers).toMatchObject({ Total: '100', 'Per-Page': '25' });
  });

  it('leave the links out rather than send a header clients refuse', () => {
    const headers = headersFor(`/v0/devices?q=${'a'.repeat(5000)}&page=2`, 2, 100);
    expect(headers.Link).toBeUndefined();
    expect(headers).toMatchObject({ Total: '100', 'Per-Page': '25' });
    const long = headersFor(`/v0/devices?q=${'a'.repeat(MAX_LINK_HEADER / 4 - 120)}&page=2`, 2, 100);
    expect(long.Link.length).toBeLessThanOrEqual(MAX_LINK_HEADER);
  });
});
