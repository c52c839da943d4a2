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

/**
 * `Link` (first and prev unless on the first page, next and last unless on the last, as the
 * reference's api-pagination does), `Total` and `Per-Page`. Links keep the request's other
 * query parameters.
 */
export function setPaginationHeaders(request: Request, response: Response, page: PageRequest, total: number) {
  const last = Math.max(1, Math.ceil(total / page.perPage));
  const url = new URL(request.originalUrl, `${request.protocol}://${request.get('host') ?? 'localhost'}`);
  const link = (n: number, rel: string) => {
    url.searchParams.set('page', String(n));
    url.searchParams.set('per_page', String(page.perPage));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page.page > 1) links.push(link(1, 'first'), link(Math.min(page.page - 1, last), 'prev'));
  if (page.page < last) links.push(link(page.page + 1, 'next'), link(last, 'last'));
  if (links.length > 0) response.setHeader('Link', links.join(', '));
  response.setHeader('Total', String(total));
  response.setHeader('Per-Page', String(page.perPage));
}
