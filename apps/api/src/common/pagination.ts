import type { Request, Response } from 'express';
import { PER_PAGE_DEFAULT, PER_PAGE_MAX } from './params.js';

export interface PageRequest {
  page: number;
  perPage: number;
  offset: number;
}

export function pageOf(query: { page?: number; per_page?: number }): PageRequest {
  const page = query.page ?? 1;
  const perPage = Math.min(query.per_page ?? PER_PAGE_DEFAULT, PER_PAGE_MAX);
  return { page, perPage, offset: (page - 1) * perPage };
}

/** The longest `Link` header sent, in characters (common client and proxy header limits are 8–16 KB). */
export const MAX_LINK_HEADER = 4096;

/** Where bootstrap keeps PUBLIC_URL for the links (express `app.locals`). */
export const PUBLIC_URL_LOCAL = 'publicUrl';

/**
 * `Link` (first and prev unless on the first page, next and last unless on the last, as the
 * reference's api-pagination does), `Total` and `Per-Page`. Links keep the request's other
 * query parameters but never `access_token` (a link is logged, shared and cached). They start
 * with PUBLIC_URL when it is configured, else they are relative: never built from the request's
 * Host header, which the client controls. Links that would make the header longer than
 * MAX_LINK_HEADER (a query string of several kilobytes, four times over) are left out: clients
 * and proxies refuse responses with headers that large, and Total and Per-Page still tell the pages.
 */
export function setPaginationHeaders(request: Request, response: Response, page: PageRequest, total: number) {
  const last = Math.max(1, Math.ceil(total / page.perPage));
  const base = (request.app?.locals as Record<string, unknown> | undefined)?.[PUBLIC_URL_LOCAL];
  const url = new URL(request.originalUrl, 'http://placeholder');
  url.searchParams.delete('access_token');
  const link = (n: number, rel: string) => {
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(page.perPage));
    const target = `${url.pathname}${url.search}`;
    return `<${typeof base === 'string' ? `${base}${target}` : target}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page.page > 1) links.push(link(1, 'first'), link(Math.min(page.page - 1, last), 'prev'));
  if (page.page < last) links.push(link(page.page + 1, 'next'), link(last, 'last'));
  const header = links.join(', ');
  if (links.length > 0 && header.length <= MAX_LINK_HEADER) response.setHeader('Link', header);
  response.setHeader('Total', String(total));
  response.setHeader('Per-Page', String(page.perPage));
}
